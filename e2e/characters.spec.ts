// The callbacks given to page.evaluate run in the browser.
/// <reference lib="dom" />
import { type Page, expect, test } from '@playwright/test';
import { newAccount, register } from './accounts.ts';
import { addGridPage, createComic, openComic, shapes } from './canvas.ts';

/** A picture takes a few seconds with the simulator. */
const DRAW_TIMEOUT = 30_000;

/** Selects the first panel by its border (tldraw selects a frame-like shape by its edge, not its inside). */
async function clickFirstPanel(page: Page) {
  const box = (await shapes(page, 'comic-panel').first().boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y - 2);
}

test('a character is made from a description: its sheet is drawn and added as a reference', async ({ page }) => {
  test.setTimeout(90_000);
  await register(page, newAccount('cara'));
  await createComic(page, 'The Keeper');

  await page.getByRole('button', { name: 'Characters' }).click();
  const dialog = page.getByRole('dialog', { name: 'Characters' });
  await dialog.getByRole('button', { name: 'New character' }).click();
  const form = page.getByRole('dialog', { name: 'New character' });
  await form.getByLabel('Name').fill('Mara');
  await form.getByLabel('Description').fill('tall lighthouse keeper, green scarf, grey braid');
  await form.getByRole('button', { name: 'Generate a character sheet' }).click();
  await form.getByRole('button', { name: 'Add as a reference' }).click({ timeout: DRAW_TIMEOUT });
  await expect(form.getByRole('img', { name: 'Reference 1' })).toBeVisible();
  await form.getByRole('button', { name: 'Add the character' }).click();
  const card = dialog.getByRole('listitem', { name: 'Mara' });
  await expect(card.getByRole('img', { name: 'Mara, reference 1' })).toBeVisible();
  await expect(card).toContainText('green scarf');

  // Her reference is the sheet the simulator drew from her description.
  const jobs = (await (await page.request.get('/api/v1/jobs?limit=10')).json()).data as { workflow: string; params: { prompt: string }; result: { id: string } }[];
  const sheet = jobs.find((job) => job.workflow === 'character-sheet')!;
  expect(sheet.params.prompt).toBe('tall lighthouse keeper, green scarf, grey braid');
  const [mara] = (await (await page.request.get(`/api/v1/comics/${page.url().split('/').at(-1)}/characters`)).json()).data;
  expect(mara.references.map((r: { id: string }) => r.id)).toEqual([sheet.result.id]);
});

test('a panel is drawn with a character of the library: its job names her, and the panel shows her to every member', async ({ page, browser, baseURL }) => {
  test.setTimeout(90_000);
  await register(page, newAccount('cara'));
  const comicId = await createComic(page, 'The Keeper');
  await addGridPage(page);

  // Mara, made from a description as above, through the API: the sheet drawn, then made her reference.
  const queued = await page.request.post('/api/v1/jobs', { data: { workflow: 'character-sheet', params: { prompt: 'tall lighthouse keeper, green scarf' } } });
  const sheetId = (await queued.json()).data.id as string;
  let sheet = { status: 'queued', result: null as { id: string } | null };
  await expect.poll(async () => (sheet = (await (await page.request.get(`/api/v1/jobs/${sheetId}`)).json()).data).status, { timeout: DRAW_TIMEOUT }).toBe('completed');
  const made = await page.request.post(`/api/v1/comics/${comicId}/characters`, { data: { name: 'Mara', description: 'tall lighthouse keeper, green scarf', referenceMediaIds: [sheet.result!.id] } });
  expect(made.status()).toBe(201);

  await clickFirstPanel(page);
  await page.getByRole('toolbar', { name: 'Panel' }).getByRole('button', { name: 'Generate' }).click();
  const generate = page.getByRole('form', { name: 'Generate a picture for the panel' });
  await generate.getByLabel('Prompt').fill('she climbs the stairs with a lantern');
  await generate.getByRole('button', { name: 'Mara' }).click();
  await expect(generate.getByRole('button', { name: 'Mara' })).toHaveAttribute('aria-pressed', 'true');
  await generate.getByRole('button', { name: 'Generate' }).click();
  await expect(generate).toBeHidden();
  await expect(shapes(page, 'image')).toHaveCount(1, { timeout: DRAW_TIMEOUT });

  const jobs = (await (await page.request.get('/api/v1/jobs?limit=10')).json()).data as { workflow: string; params: { cast?: unknown[] } }[];
  const panelJob = jobs.find((job) => job.workflow === 'comic-panel')!;
  expect(panelJob.params.cast).toEqual([expect.objectContaining({ name: 'Mara', description: 'tall lighthouse keeper, green scarf', referenceMediaIds: [sheet.result!.id] })]);

  await clickFirstPanel(page);
  await expect(page.getByTestId('panel-cast')).toHaveText('Drawn with Mara');

  // A viewer, who may not draw, sees whom the panel shows too.
  const viewer = newAccount('vic');
  const other = await (await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } })).newPage();
  await register(other, viewer);
  expect((await page.request.post(`/api/v1/comics/${comicId}/members`, { data: { username: viewer.username, role: 'viewer' } })).status()).toBe(201);
  await openComic(other, comicId, 4);
  await clickFirstPanel(other);
  await expect(other.getByTestId('panel-cast')).toHaveText('Drawn with Mara');
  await expect(other.getByRole('toolbar', { name: 'Panel' })).toHaveCount(0);
});
