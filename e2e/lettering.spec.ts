// Art and lettering on the canvas: pictures, however they arrive, go under a panel's bubbles for everyone;
// the progress card stays above the panel's content and clickable; long text shrinks, then shows it overflows.
// The callbacks given to evaluate run in the browser.
/// <reference lib="dom" />
import { type Locator, type Page, expect, request, test } from '@playwright/test';
import { GENERATION_QUEUE } from '@inkwell/workflows';
import { SUPER_ADMIN, newAccount, register } from './accounts.ts';
import { createComic, invite, openComic, placeWithText, shapes } from './canvas.ts';

const DRAW_TIMEOUT = 30_000;

interface EditorView {
  getSortedChildIdsForParent(id: string): string[];
  getShape(id: string): { type: string; props: { w: number; h: number } } | undefined;
  getSelectedShapeIds(): string[];
}
type CanvasElement = HTMLElement & { inkwellEditor: EditorView };

/** The types of the first panel's children, bottom to top, as the editor stacks them. */
async function stackOfFirstPanel(page: Page): Promise<string[]> {
  const panelId = await shapes(page, 'comic-panel').first().getAttribute('data-shape-id');
  return page.getByTestId('comic-canvas').evaluate(
    (el: CanvasElement, id) => el.inkwellEditor.getSortedChildIdsForParent(id!).map((child) => el.inkwellEditor.getShape(child)!.type),
    panelId,
  );
}

/** Whether every bubble is drawn above every picture (tldraw stacks shape elements by z-index). */
async function bubblesDrawnOnTop(page: Page): Promise<boolean> {
  const z = (locator: Locator) => locator.evaluateAll((elements) => elements.map((el) => Number(getComputedStyle(el).zIndex)));
  const [bubbles, pictures] = [await z(shapes(page, 'speech-bubble')), await z(shapes(page, 'image'))];
  return bubbles.length > 0 && Math.min(...bubbles) > Math.max(...pictures);
}

/** The element's box once it has stopped moving (the same in two reads a tenth of a second apart). */
async function boxAtRest(locator: Locator) {
  // The first read is never "at rest": two reads back to back could both come before a camera move starts
  // (a CI run took an image's box before Shift+1's zoom, and grabbed its edge instead of its middle).
  let last: string | undefined;
  await expect
    .poll(async () => {
      const now = JSON.stringify(await locator.boundingBox());
      const still = now === last;
      last = now;
      return still;
    }, { intervals: [100] })
    .toBe(true);
  return JSON.parse(last!) as { x: number; y: number; width: number; height: number };
}

/** Pauses (or resumes) the generation queue, as an administrator would from /admin/queues. */
async function setGenerationPaused(baseURL: string, paused: boolean) {
  const admin = await request.newContext({ baseURL });
  try {
    expect((await admin.post('/api/v1/auth/login', { data: { login: SUPER_ADMIN.username, password: SUPER_ADMIN.password } })).ok()).toBe(true);
    expect((await admin.post(`/api/v1/admin/queues/${GENERATION_QUEUE}/${paused ? 'pause' : 'resume'}`)).ok()).toBe(true);
  } finally {
    await admin.dispose();
  }
}

/** Selects the first panel by its border and asks for a picture. */
async function generate(page: Page, prompt: string) {
  const box = (await shapes(page, 'comic-panel').first().boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y - 2);
  const toolbar = page.getByRole('toolbar', { name: 'Panel' });
  // The panel's tools sit next to the panel (below or above it), not across the top of the canvas.
  const bar = (await toolbar.boundingBox())!;
  expect(bar.y >= box.y + box.height || bar.y + bar.height <= box.y, `toolbar ${JSON.stringify(bar)} beside panel ${JSON.stringify(box)}`).toBe(true);
  await page.screenshot({ path: test.info().outputPath('panel-toolbar.png') });
  await toolbar.getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('form', { name: 'Generate a picture for the panel' });
  await form.getByLabel('Prompt').fill(prompt);
  await form.getByRole('button', { name: 'Generate' }).click();
  await expect(form).toBeHidden();
}

async function newTwoByTwo(page: Page, title: string) {
  const comicId = await createComic(page, title);
  await page.getByRole('button', { name: '2 × 2 grid' }).click();
  await expect(shapes(page, 'comic-panel')).toHaveCount(4);
  return comicId;
}

test('pictures drawn, dropped or dragged into a panel go under its bubble for both collaborators, and Cancel stays clickable over the bubble', async ({ page: a, browser, baseURL }, testInfo) => {
  test.skip(testInfo.project.name !== 'desktop', 'two browsers side by side: the desktop layout');
  test.setTimeout(120_000);
  const [ana, ben] = [newAccount('ana'), newAccount('ben')];
  const b = await (await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } })).newPage();
  await Promise.all([register(a, ana), register(b, ben)]);
  const comicId = await newTwoByTwo(a, 'Under the words');
  await invite(a, ben.username);
  await openComic(b, comicId, 4);

  // A letters the first panel: a bubble in its middle, where the progress card goes.
  await placeWithText(a, 'speech-bubble', shapes(a, 'comic-panel').first(), 'Who goes there?', 'speech-bubble');
  await expect(shapes(b, 'speech-bubble')).toContainText('Who goes there?');

  // With the generation queue paused the job waits: its card, over the bubble, takes the click on Cancel.
  await setGenerationPaused(baseURL!, true);
  try {
    await generate(a, 'a lighthouse keeper on the stairs');
    const card = a.locator('.inkwell-panel-progress');
    await expect(card).toContainText('Queued…', { timeout: DRAW_TIMEOUT });
    await card.getByRole('button', { name: 'Cancel' }).click();
    await expect(card).toContainText('Drawing cancelled');
    await card.getByRole('button', { name: 'Dismiss' }).click();
    await expect(card).toHaveCount(0);
  } finally {
    await setGenerationPaused(baseURL!, false);
  }

  // Drawn for real, the picture lands under the bubble, for both.
  await generate(a, 'a lighthouse keeper on the stairs');
  for (const page of [a, b]) {
    await expect(shapes(page, 'image')).toHaveCount(1, { timeout: DRAW_TIMEOUT });
    await expect.poll(() => stackOfFirstPanel(page)).toEqual(['image', 'speech-bubble']);
    expect(await bubblesDrawnOnTop(page)).toBe(true);
    await expect(shapes(page, 'speech-bubble')).toBeVisible();
  }
  await a.keyboard.press('Escape');
  await shapes(a, 'comic-panel').first().screenshot({ path: testInfo.outputPath('panel-with-bubble.png') });

  // A picture dropped on the same panel fills it, under the bubble too.
  const box = (await shapes(a, 'comic-panel').first().boundingBox())!;
  const dataTransfer = await a.evaluateHandle(async () => {
    const drawing = Object.assign(document.createElement('canvas'), { width: 300, height: 200 });
    const ctx = drawing.getContext('2d')!;
    ctx.fillStyle = '#1c7ed6';
    ctx.fillRect(0, 0, 300, 200);
    const blob = await new Promise<Blob>((resolve) => drawing.toBlob((made) => resolve(made!), 'image/png'));
    const transfer = new DataTransfer();
    transfer.items.add(new File([blob], 'sky.png', { type: 'image/png' }));
    return transfer;
  });
  await a.getByTestId('comic-canvas').locator('.tl-canvas').dispatchEvent('drop', { dataTransfer, clientX: box.x + box.width / 2, clientY: box.y + 20 });
  for (const page of [a, b]) {
    await expect.poll(() => stackOfFirstPanel(page), { timeout: DRAW_TIMEOUT }).toEqual(['image', 'image', 'speech-bubble']);
    expect(await bubblesDrawnOnTop(page)).toBe(true);
  }

  // One dropped beside the page, then dragged into the panel, is fitted into it, under the bubble.
  const canvasBox = (await a.getByTestId('comic-canvas').boundingBox())!;
  const beside = { x: canvasBox.x + 60, y: canvasBox.y + canvasBox.height / 2 };
  await a.getByTestId('comic-canvas').locator('.tl-canvas').dispatchEvent('drop', { dataTransfer, clientX: beside.x, clientY: beside.y });
  await expect(shapes(a, 'image')).toHaveCount(3, { timeout: DRAW_TIMEOUT });
  // The new picture is the one selected: with everything in view (tldraw moved the camera to it), taken by its middle.
  const droppedId = await a.getByTestId('comic-canvas').evaluate((el: CanvasElement) => el.inkwellEditor.getSelectedShapeIds()[0]);
  await a.keyboard.press('Shift+1');
  // The shortcut animates the camera: the boxes are read once it has come to rest.
  const dropped = await boxAtRest(a.locator(`.tl-shape[data-shape-id="${droppedId}"]`));
  const target = await boxAtRest(shapes(a, 'comic-panel').first());
  await a.mouse.move(dropped.x + dropped.width / 2, dropped.y + dropped.height / 2);
  await a.mouse.down();
  // A spot of the panel that the canvas itself receives: which panel is first depends on random ids, and the
  // bottom of a bottom-row panel can lie under tldraw's toolbar once everything is in view.
  const spot = await a.evaluate((panel) => {
    for (const [fx, fy] of [[0.5, 0.85], [0.5, 0.15], [0.15, 0.5], [0.85, 0.5], [0.15, 0.15], [0.85, 0.85]] as const) {
      const point = { x: panel.x + panel.width * fx, y: panel.y + panel.height * fy };
      const hit = document.elementFromPoint(point.x, point.y);
      if (hit?.closest('.tl-canvas') && !hit.closest('.tl-shape[data-shape-type="speech-bubble"]')) return point;
    }
    return undefined;
  }, target);
  expect(spot, `a free spot in the panel at ${JSON.stringify(target)}`).toBeDefined();
  await a.mouse.move(spot!.x, spot!.y, { steps: 12 });
  // tldraw takes a dragged shape into the panel under it on its next tick: let go once it has.
  await expect.poll(() => stackOfFirstPanel(a)).toEqual(['image', 'image', 'image', 'speech-bubble']);
  await a.mouse.up();
  await expect.poll(() => stackOfFirstPanel(a)).toEqual(['image', 'image', 'image', 'speech-bubble']);
  const panelId = await shapes(a, 'comic-panel').first().getAttribute('data-shape-id');
  const sizes = await a.getByTestId('comic-canvas').evaluate((el: CanvasElement, id) => {
    const size = (shapeId: string) => `${el.inkwellEditor.getShape(shapeId)!.props.w}x${el.inkwellEditor.getShape(shapeId)!.props.h}`;
    return { panel: size(id!), pictures: el.inkwellEditor.getSortedChildIdsForParent(id!).slice(0, 3).map(size) };
  }, panelId);
  expect(sizes.pictures).toEqual([sizes.panel, sizes.panel, sizes.panel]);
  await b.context().close();
});

test('long text in a bubble shrinks to fit its panel, then shows that it overflows', async ({ page }) => {
  test.setTimeout(90_000);
  await register(page, newAccount('lea'));
  await newTwoByTwo(page, 'Wordy');
  const fontSize = (bubble: Locator) => bubble.locator('.tl-text-content__wrapper').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  const panels = shapes(page, 'comic-panel');
  const bubbles = shapes(page, 'speech-bubble');
  const line = 'We have to leave before the tide comes in. ';

  const place = (panel: Locator, text: string) => placeWithText(page, 'speech-bubble', panel, text, 'speech-bubble');
  await place(panels.nth(0), 'Hi!');
  await place(panels.nth(1), `Tide: ${line.repeat(12)}`);
  await place(panels.nth(2), `Storm: ${line.repeat(150)}`);
  // Shape elements are not in the order they were made: each bubble by its words.
  const short = bubbles.filter({ hasText: 'Hi!' });
  const long = bubbles.filter({ hasText: 'Tide:' });
  const endless = bubbles.filter({ hasText: 'Storm:' });

  // The long text grew its bubble up to the panel, no further, and is lettered smaller than the short one.
  // Both boxes are read together: the camera may have moved since the bubble was placed.
  const [grown, panel] = [(await long.boundingBox())!, (await panels.nth(1).boundingBox())!];
  expect(grown.x).toBeGreaterThanOrEqual(panel.x - 1);
  expect(grown.y).toBeGreaterThanOrEqual(panel.y - 1);
  expect(grown.width).toBeLessThanOrEqual(panel.width + 1);
  expect(grown.height).toBeLessThanOrEqual(panel.height + 1);
  const full = await fontSize(short);
  expect(await fontSize(long)).toBeLessThan(full);
  expect(await fontSize(long)).toBeGreaterThanOrEqual(full / 2);
  await expect(long.getByRole('img', { name: 'The text does not fit' })).toHaveCount(0);

  // Text that does not fit even at half size is marked, where everyone sees it.
  expect(await fontSize(endless)).toBeCloseTo(full / 2, 1);
  await expect(endless.getByRole('img', { name: 'The text does not fit' })).toBeVisible();
  await expect(short.getByRole('img', { name: 'The text does not fit' })).toHaveCount(0);

  // A lettering font for one bubble, and one for the whole comic, which the other bubbles follow.
  const family = (bubble: Locator) => bubble.locator('.tl-text-label').evaluate((el) => getComputedStyle(el).fontFamily);
  await short.click();
  // The panel's tools come up beside its panel, whole on the screen (a 375 px phone included).
  const tools = (await page.getByRole('toolbar', { name: 'Panel' }).boundingBox())!;
  expect(tools.x).toBeGreaterThanOrEqual(0);
  expect(tools.x + tools.width).toBeLessThanOrEqual(page.viewportSize()!.width);
  // On a phone the style panel opens from the toolbar.
  const styles = page.getByTestId('mobile-styles.button');
  if (await styles.isVisible()) await styles.click();
  await page.getByLabel('Lettering').selectOption('bangers');
  await expect.poll(() => family(short)).toMatch(/^"?Bangers/);
  await page.getByLabel('Comic default').selectOption('kalam');
  await expect.poll(() => family(long)).toMatch(/^"?Kalam/);
  expect(await family(short)).toMatch(/^"?Bangers/);
  await page.screenshot({ path: test.info().outputPath('lettering.png') });
});
