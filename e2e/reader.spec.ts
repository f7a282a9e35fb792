// The callbacks given to page.evaluate run in the browser.
/// <reference lib="dom" />
import { gzipSync } from 'node:zlib';
import { type Locator, type Page, expect, test } from '@playwright/test';
import type { ReaderComic } from '@inkwell/api/contract';
import { grantRole, newAccount, register } from './accounts.ts';
import { connection, createComic, placeWithText, shapes } from './canvas.ts';

const BUBBLE = 'Meet me at the lantern stall.';

/** The reader's JavaScript, all told (SvelteKit's runtime included), gzipped: the budget. */
const JS_BUDGET = 150 * 1024;

/** Swipes across `target` with one finger, as a phone sends it (Chrome's touch events, through CDP). */
async function swipe(page: Page, target: Locator, direction: 'left' | 'right') {
  const box = (await target.boundingBox())!;
  const y = box.y + box.height / 2;
  const [from, to] = direction === 'left' ? [box.x + box.width * 0.8, box.x + box.width * 0.2] : [box.x + box.width * 0.2, box.x + box.width * 0.8];
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: from, y }] });
  for (let i = 1; i <= 5; i++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: from + ((to - from) * i) / 5, y }] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

/** A tap in the left or right third of the stage. */
async function tap(page: Page, target: Locator, side: 'left' | 'right') {
  const box = (await target.boundingBox())!;
  await page.touchscreen.tap(box.x + box.width * (side === 'left' ? 0.12 : 0.88), box.y + box.height / 2);
}

test('a signed-out phone reads a published comic page by page, as a strip and panel by panel, without the canvas', async ({ browser, baseURL, page }, testInfo) => {
  test.skip(testInfo.project.name !== 'phone', 'the reader on a phone; the author works on a desktop');
  test.setTimeout(120_000);

  // An author (made a creator, who may publish) draws two pages on the canvas and a bubble in the first panel.
  const author = newAccount('ink');
  const desk = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const studio = await desk.newPage();
  await register(studio, author);
  await grantRole(baseURL!, author, 'creator');
  expect((await studio.request.post('/api/v1/auth/login', { data: { login: author.username, password: author.password } })).ok()).toBe(true);
  const comicId = await createComic(studio, 'Lanterns & <Night>', 'A cat sells lanterns after dark.\n<b>not bold</b>');
  for (const template of ['2 × 2 grid', 'Two rows']) {
    await studio.getByRole('button', { name: 'Add page' }).click();
    await studio.getByRole('dialog', { name: 'Add a page' }).getByRole('button', { name: template }).click();
    if (template === '2 × 2 grid') await placeWithText(studio, 'speech-bubble', shapes(studio, 'comic-panel').first(), BUBBLE, 'speech-bubble');
  }
  await expect(connection(studio)).toHaveText('Saved');
  // The collab-server stores the summary (with the bubble's text) a moment after the edits: publish once it has.
  await expect
    .poll(async () => JSON.stringify((await (await studio.request.get(`/api/v1/comics/${comicId}`)).json()).data.panels), { timeout: 15_000 })
    .toContain(BUBBLE);
  const published = await studio.request.post(`/api/v1/comics/${comicId}/publish`, { data: { visibility: 'unlisted' } });
  expect(published.ok(), await published.text()).toBe(true);
  const readerUrl: string = (await published.json()).data.readerUrl;
  await desk.close();

  // A signed-out phone opens the link with an old slug: it lands on the right one.
  const scripts = new Map<string, Buffer>();
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('response', async (response) => {
    if (response.request().resourceType() === 'script') scripts.set(response.url(), await response.body().catch(() => Buffer.alloc(0)));
  });
  await page.goto(`/read/${comicId}/an-old-title`);
  await expect(page).toHaveURL(new URL(readerUrl).pathname);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Lanterns & <Night>');
  await expect(page.getByText('<b>not bold</b>')).toBeVisible();

  // Link previews: the cover, absolute, and served.
  const ogImage = await page.locator('meta[property="og:image"]').getAttribute('content');
  expect(ogImage).toMatch(new RegExp(`^${baseURL}/api/v1/read/${comicId}/images/`));
  expect((await page.request.get(ogImage!)).headers()['content-type']).toBe('image/webp');
  await expect(page.locator('meta[name="twitter:card"]')).toHaveAttribute('content', 'summary_large_image');

  // The strip first (nothing remembered yet): both pages, one right under the other, responsive images.
  const stage = page.getByTestId('reader-stage');
  const pages = stage.getByRole('region', { name: /^Page \d$/ });
  await expect(pages).toHaveCount(2);
  // Page by page hides the others (out of the accessibility tree too): find each by its place.
  const pageAt = (n: number) => stage.locator(`[data-page="${n}"]`);
  const [first, second] = [(await pages.nth(0).boundingBox())!, (await pages.nth(1).boundingBox())!];
  expect(Math.abs(first.y + first.height - second.y)).toBeLessThan(1);
  expect(first.width).toBeGreaterThan(370);
  const image = pages.nth(0).locator('img');
  await expect(image).toHaveAttribute('srcset', /\?w=480 480w, .*\?w=800 800w/);
  await expect(image).toHaveAttribute('loading', 'eager');
  await expect(pages.nth(1).locator('img')).toHaveAttribute('loading', 'lazy');
  expect(await image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0 && /w=(480|800|1200)/.test(img.currentSrc))).toBe(true);

  // The bubble is real text over the page: selectable, in the canvas's hand-drawn font, inside the page.
  const bubble = stage.getByText(BUBBLE, { exact: true });
  await expect(bubble).toBeVisible();
  await bubble.selectText();
  expect(await page.evaluate(() => window.getSelection()?.toString().trim())).toBe(BUBBLE);
  expect(await bubble.evaluate(async (el) => (await document.fonts.ready, getComputedStyle(el).fontFamily))).toContain('Inkwell Draw');
  expect(await page.evaluate(() => document.fonts.check('16px "Inkwell Draw"'))).toBe(true);
  // It sits inside the panel the author put it in (the panel's box from the reader's data, on the page shown).
  const data = (await (await page.request.get(`/api/v1/read/${comicId}`)).json()).data as ReaderComic;
  const panel = data.pages[0]!.panels.find((p) => p.lettering.length > 0)!;
  const text = (await bubble.boundingBox())!;
  expect(text.x).toBeGreaterThan(first.x + panel.x * first.width);
  expect(text.x + text.width).toBeLessThan(first.x + (panel.x + panel.w) * first.width);
  expect(text.y).toBeGreaterThan(first.y + panel.y * first.height);
  expect(text.y + text.height).toBeLessThan(first.y + (panel.y + panel.h) * first.height);
  // Every panel is described for screen readers (the author's alt text, the prompt, or its number and text).
  await expect(stage.locator('p.visually-hidden')).toHaveCount(6);
  await expect(stage.locator('p.visually-hidden').filter({ hasText: BUBBLE })).toHaveCount(1);
  await page.evaluate(() => window.getSelection()?.removeAllRanges());

  // Page by page: swipe, tap the right side, the arrow keys.
  const position = page.getByRole('toolbar', { name: 'Reading' }).locator('[aria-live]');
  await page.getByRole('button', { name: 'Pages' }).click();
  await expect(position).toContainText('Page 1 of 2');
  // The page is hydrated (its buttons work), and it came with its comic: the browser did not ask the API again.
  const comicRequests = () => requests.filter((url) => new URL(url).pathname === `/api/v1/read/${comicId}`);
  expect(comicRequests()).toEqual([]);
  await expect(pageAt(1)).toBeHidden();
  await swipe(page, stage, 'left');
  await expect(position).toContainText('Page 2 of 2');
  await expect(pageAt(0)).toBeHidden();
  await expect(pageAt(1)).toBeVisible();
  await swipe(page, stage, 'right');
  await expect(position).toContainText('Page 1 of 2');
  await tap(page, stage, 'right');
  await expect(position).toContainText('Page 2 of 2');
  await page.keyboard.press('ArrowLeft');
  await expect(position).toContainText('Page 1 of 2');
  // The reader's bar is on screen and on top (not under the site's bar), and the whole page fits below it.
  const bar = page.getByRole('toolbar', { name: 'Reading' });
  expect(
    await bar.evaluate((el) => {
      const box = el.getBoundingClientRect();
      return box.top >= 0 && el.contains(document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2));
    }),
  ).toBe(true);
  const shown = (await pageAt(0).boundingBox())!;
  expect(shown.width).toBeLessThanOrEqual(375);
  expect(shown.y + shown.height).toBeLessThanOrEqual(740 + 1);

  // Guided: each panel in turn fills the screen's width or height, centred; steps go on to the next page.
  await page.getByRole('button', { name: 'Guided' }).click();
  const spotlight = stage.locator('.spotlight');
  const fills = async () => {
    const [s, p] = [(await stage.boundingBox())!, (await spotlight.boundingBox())!];
    const centred = Math.abs(p.x + p.width / 2 - (s.x + s.width / 2)) < 2 && Math.abs(p.y + p.height / 2 - (s.y + s.height / 2)) < 2;
    return centred && (p.width > 0.9 * s.width || p.height > 0.9 * s.height);
  };
  for (const [n, turn] of [
    [1, null],
    [2, () => tap(page, stage, 'right')],
    [3, () => swipe(page, stage, 'left')],
    [4, () => page.keyboard.press('ArrowRight')],
    [5, () => page.getByRole('button', { name: 'Next panel' }).click()],
  ] as const) {
    await turn?.();
    await expect(position).toContainText(`Panel ${n} of 6`);
    await expect.poll(fills, { message: `panel ${n} fills the screen` }).toBe(true);
  }
  await expect(stage.getByRole('region', { name: 'Page 2' })).toBeVisible();
  await page.keyboard.press('ArrowLeft');
  await expect(position).toContainText('Panel 4 of 6');

  // The choice is remembered; the read was counted once for the visit.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Guided' })).toHaveAttribute('aria-pressed', 'true');
  await expect(position).toContainText('Panel 1 of 6');
  await expect.poll(async () => (await (await page.request.get(`/api/v1/read/${comicId}`)).json()).data.readCount).toBe(1);

  // Back to the strip.
  await page.getByRole('button', { name: 'Scroll' }).click();
  await expect(pages).toHaveCount(2);
  await expect(pageAt(0)).toBeVisible();

  // To the author's profile and back, within the site: the browser asks the API for the comic itself.
  await page.getByRole('link', { name: author.username }).click();
  await expect(page).toHaveURL(`/u/${author.username}`);
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Lanterns & <Night>');
  await expect(pages).toHaveCount(2);
  expect(comicRequests()).toHaveLength(1);

  // No canvas code came: no tldraw, React or Yjs in any script, and the reader's JavaScript is small.
  expect(requests.filter((url) => /tldraw|canvas|island/i.test(url))).toEqual([]);
  const code = [...scripts.values()];
  expect(code.length).toBeGreaterThan(0);
  expect([...scripts].filter(([, body]) => /tldraw|react-dom|yjs/i.test(body.toString())).map(([url]) => url)).toEqual([]);
  const gzipped = code.reduce((sum, body) => sum + gzipSync(body).length, 0);
  testInfo.annotations.push({ type: 'reader JavaScript (gzipped)', description: `${(gzipped / 1024).toFixed(1)} KB in ${code.length} files` });
  expect(gzipped).toBeLessThanOrEqual(JS_BUDGET);
});

test('a comic that is not published is a friendly 404', async ({ page }) => {
  const response = await page.goto(`/read/${crypto.randomUUID()}/anything`);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'This comic isn’t here' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Find comics in the gallery' })).toBeVisible();
});
