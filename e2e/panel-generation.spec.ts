// The callbacks given to page.evaluate run in the browser.
/// <reference lib="dom" />
import { type Page, expect, test } from '@playwright/test';
import { newAccount, register } from './accounts.ts';

/** Opening a comic loads tldraw and the document; a picture takes a few seconds with the simulator. */
const OPEN_TIMEOUT = 20_000;
const DRAW_TIMEOUT = 30_000;

const canvas = (page: Page) => page.getByTestId('comic-canvas');
const shapes = (page: Page, type: string) => page.locator(`.tl-shape[data-shape-type="${type}"]`);
const progress = (page: Page) => page.locator('.inkwell-panel-progress');

/** The ids of the images in the first panel, bottom to top, as the editor sees them. */
interface EditorView {
  getCurrentPageShapesSorted(): { id: string; type: string; parentId: string }[];
}
const picturesInFirstPanel = async (page: Page) => {
  // The panel that clickFirstPanel clicks: the first one on screen, by its element's data-shape-id.
  const panelId = await shapes(page, 'comic-panel').first().getAttribute('data-shape-id');
  return canvas(page).evaluate(
    (el: HTMLElement & { inkwellEditor: EditorView }, id) =>
      el.inkwellEditor
        .getCurrentPageShapesSorted()
        .filter((shape) => shape.type === 'image' && shape.parentId === id)
        .map((shape) => shape.id),
    panelId,
  );
};

/** Selects the first panel by its border (tldraw selects a frame-like shape by its edge, not its inside). */
async function clickFirstPanel(page: Page) {
  const box = (await shapes(page, 'comic-panel').first().boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y - 2);
}

/** Selects the first panel (or its picture), writes a prompt and asks for a picture. */
async function generate(page: Page, prompt: string) {
  await clickFirstPanel(page);
  await page.getByRole('toolbar', { name: 'Panel' }).getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('form', { name: 'Generate a picture for the panel' });
  await form.getByLabel('Prompt').fill(prompt);
  await form.getByLabel('Style').selectOption('noir');
  await form.getByRole('button', { name: 'Generate' }).click();
  await expect(form).toBeHidden();
}

test('a picture is drawn into a panel, live for everyone, and regenerating keeps the variants', async ({ page: a, browser, baseURL }, testInfo) => {
  test.skip(testInfo.project.name !== 'desktop', 'two browsers side by side: the desktop layout');
  test.setTimeout(120_000);
  const [accountA, accountB] = [newAccount('ana'), newAccount('ben')];
  const b = await (await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } })).newPage();
  await Promise.all([register(a, accountA), register(b, accountB)]);

  // A makes a comic with a 2×2 page and invites B as an editor; B opens it.
  await a.goto('/comics');
  await a.getByLabel('Title').fill('The Lighthouse');
  await a.getByRole('button', { name: 'Create comic' }).click();
  await expect(a).toHaveURL(/\/comics\/[0-9a-f-]{36}$/);
  const comicId = a.url().split('/').at(-1)!;
  await a.getByRole('button', { name: 'Add page' }).click();
  await a.getByRole('dialog', { name: 'Add a page' }).getByRole('button', { name: '2 × 2 grid' }).click();
  await expect(shapes(a, 'comic-panel')).toHaveCount(4, { timeout: OPEN_TIMEOUT });
  const sharing = a.getByRole('complementary', { name: 'Sharing' });
  await sharing.getByLabel('Username').fill(accountB.username);
  await sharing.getByLabel('Role', { exact: true }).selectOption('editor');
  await sharing.getByRole('button', { name: 'Invite' }).click();
  await expect(sharing.getByText(`${accountB.username} joined as editor.`)).toBeVisible();
  await b.goto(`/comics/${comicId}`);
  await expect(shapes(b, 'comic-panel')).toHaveCount(4, { timeout: OPEN_TIMEOUT });
  await expect(b.locator('[data-connection]')).toHaveAttribute('data-connection', 'connected', { timeout: OPEN_TIMEOUT });

  // A asks for a picture for the first panel: both watch it being drawn, then both have it in the panel.
  await generate(a, 'the keeper climbs the stairs');
  for (const page of [a, b]) {
    await expect(progress(page)).toContainText(/Drawing… \d+%/, { timeout: DRAW_TIMEOUT });
  }
  // Only the person who asked may cancel.
  await expect(progress(a).getByRole('button', { name: 'Cancel' })).toBeVisible();
  await expect(progress(b).getByRole('button', { name: 'Cancel' })).toHaveCount(0);
  for (const page of [a, b]) {
    await expect(progress(page)).toHaveCount(0, { timeout: DRAW_TIMEOUT });
    await expect(shapes(page, 'image')).toHaveCount(1);
    expect(await picturesInFirstPanel(page)).toHaveLength(1);
  }

  // A draws it again: the new picture lands on top, and the first one stays, to choose from.
  await generate(a, 'the keeper climbs the stairs, at dawn');
  for (const page of [a, b]) {
    await expect(shapes(page, 'image')).toHaveCount(2, { timeout: DRAW_TIMEOUT });
    await expect(progress(page)).toHaveCount(0, { timeout: DRAW_TIMEOUT });
  }
  const [first, second] = await picturesInFirstPanel(a);
  expect(await picturesInFirstPanel(b)).toEqual([first, second]);
  await clickFirstPanel(a);
  const variants = a.getByRole('group', { name: 'Variants' });
  await expect(variants.getByRole('button', { name: 'Variant 2' })).toHaveAttribute('aria-pressed', 'true');
  await variants.getByRole('button', { name: 'Variant 1' }).click();
  // The first picture is in front again, for both.
  await expect.poll(() => picturesInFirstPanel(a)).toEqual([second, first]);
  await expect.poll(() => picturesInFirstPanel(b)).toEqual([second, first]);
});
