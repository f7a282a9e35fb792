// The callbacks given to evaluate run in the browser.
/// <reference lib="dom" />
import { expect, test } from '@playwright/test';
import sharp from 'sharp';
import { newAccount, register } from './accounts.ts';
import { OPEN_TIMEOUT, addGridPage, createComic, shapes } from './canvas.ts';

/** Four pictures from the simulator, two at a time. */
const DRAW_TIMEOUT = 90_000;

interface EditorView {
  getCurrentPageShapesSorted(): { id: string; type: string; parentId: string; x: number; y: number; props: { richText?: unknown } }[];
}

test('a script fills a 2×2 page: four pictures, and the lines as bubbles and captions in their panels', async ({ page }) => {
  test.setTimeout(180_000);
  await register(page, newAccount('scribe'));
  const comicId = await createComic(page, 'Rain');
  await addGridPage(page);

  // Maya, in the comic's character library.
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c33' } }).png().toBuffer();
  const upload = await page.request.post('/api/v1/media', { multipart: { file: { name: 'maya.png', mimeType: 'image/png', buffer: png } } });
  expect(upload.ok(), await upload.text()).toBe(true);
  const maya = await page.request.post(`/api/v1/comics/${comicId}/characters`, { data: { name: 'Maya', referenceMediaIds: [(await upload.json()).data.id] } });
  expect(maya.ok(), await maya.text()).toBe(true);

  await page.getByRole('button', { name: 'Script' }).click();
  const dialog = page.getByRole('dialog', { name: 'Draw this page from a script' });
  await expect(dialog.getByText('has 4 panels')).toBeVisible();
  await expect(dialog.getByText("This comic's characters: Maya.")).toBeVisible();
  const script = dialog.getByLabel('Script');
  const draw = dialog.getByRole('button', { name: 'Draw the page' });

  // A mistake is pointed at on its line, and nothing can be drawn until it is fixed.
  await script.fill('PANEL 1\nA rainy street at night.\nMAYYA: Where is everyone?');
  await expect(dialog.getByRole('button', { name: 'Line 3' })).toBeVisible();
  await expect(dialog.getByText('MAYYA is not one of this comic')).toBeVisible();
  await expect(draw).toBeDisabled();

  await script.fill(`PANEL 1
Wide shot of a rainy street at night. Maya runs under a flickering sign.
CAPTION: Three hours earlier.
MAYA: Where is everyone?

PANEL 2
Close on Maya's face, lit red.
MAYA (thinks): Too quiet.

PANEL 3
An empty bus stop in the rain.

PANEL 4
A door opens onto a bright room.
MAYA (shouts): Hello?!`);
  await expect(dialog.getByRole('button', { name: /^Line / })).toHaveCount(0);
  await draw.click();
  await expect(dialog.getByRole('region', { name: 'Progress of the page' }).getByRole('listitem')).toHaveCount(4);
  await expect(dialog.getByText('4 of 4 panels drawn')).toBeVisible({ timeout: DRAW_TIMEOUT });
  await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();

  // Each panel holds one picture under its own lines, in the order written.
  await expect(shapes(page, 'image')).toHaveCount(4, { timeout: OPEN_TIMEOUT });
  await expect(page.getByText('Where is everyone?')).toBeVisible();
  const panels = await page.getByTestId('comic-canvas').evaluate((el: HTMLElement & { inkwellEditor: EditorView }) => {
    const all = el.inkwellEditor.getCurrentPageShapesSorted();
    const text = (node: unknown): string =>
      !node || typeof node !== 'object' ? '' : 'text' in node ? String(node.text) : 'content' in node && Array.isArray(node.content) ? node.content.map(text).join('') : '';
    return all
      .filter((shape) => shape.type === 'comic-panel')
      .sort((a, b) => a.y - b.y || a.x - b.x)
      .map((panel) => all.filter((shape) => shape.parentId === panel.id).map((shape) => (shape.type === 'image' ? 'image' : `${shape.type}: ${text(shape.props.richText)}`)));
  });
  expect(panels).toEqual([
    ['image', 'caption: Three hours earlier.', 'speech-bubble: Where is everyone?'],
    ['image', 'speech-bubble: Too quiet.'],
    ['image'],
    ['image', 'speech-bubble: Hello?!'],
  ]);
});
