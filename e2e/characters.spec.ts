// The callbacks given to page.evaluate run in the browser.
/// <reference lib="dom" />
import { type Page, expect, test } from '@playwright/test';
import { newAccount, register } from './accounts.ts';
import { OPEN_TIMEOUT, createComic, shapes } from './canvas.ts';

/** A picture takes a few seconds with the simulator. */
const DRAW_TIMEOUT = 30_000;

/** Selects the first panel by its border (tldraw selects a frame-like shape by its edge, not its inside). */
async function clickFirstPanel(page: Page) {
  const box = (await shapes(page, 'comic-panel').first().boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y - 2);
}

test('a character made from a description, its sheet drawn and added as a reference, is drawn into a panel', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await register(page, newAccount('cara'));
  await createComic(page, 'The Keeper');
  await page.getByRole('button', { name: 'Add page' }).click();
  await page.getByRole('dialog', { name: 'Add a page' }).getByRole('button', { name: '2 × 2 grid' }).click();
  await expect(shapes(page, 'comic-panel')).toHaveCount(4, { timeout: OPEN_TIMEOUT });

  // The character: a name, a description, and the sheet drawn from it as its reference.
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
  await testInfo.attach('characters', { body: await page.screenshot(), contentType: 'image/png' });
  await dialog.getByRole('button', { name: 'Close' }).click();

  // A panel drawn with her: the job is given her, and the panel says so.
  await clickFirstPanel(page);
  await page.getByRole('toolbar', { name: 'Panel' }).getByRole('button', { name: 'Generate' }).click();
  const generate = page.getByRole('form', { name: 'Generate a picture for the panel' });
  await generate.getByLabel('Prompt').fill('she climbs the stairs with a lantern');
  await generate.getByRole('button', { name: 'Mara' }).click();
  await expect(generate.getByRole('button', { name: 'Mara' })).toHaveAttribute('aria-pressed', 'true');
  await generate.getByRole('button', { name: 'Generate' }).click();
  await expect(generate).toBeHidden();
  await expect(shapes(page, 'image')).toHaveCount(1, { timeout: DRAW_TIMEOUT });

  const jobs = (await (await page.request.get('/api/v1/jobs?limit=10')).json()).data as { workflow: string; params: { cast?: { name: string; referenceMediaIds: string[] }[] } }[];
  const panelJob = jobs.find((job) => job.workflow === 'comic-panel')!;
  expect(panelJob.params.cast).toEqual([expect.objectContaining({ name: 'Mara', referenceMediaIds: [expect.any(String)] })]);
  const sheet = jobs.find((job) => job.workflow === 'character-sheet') as unknown as { result: { id: string } };
  expect(panelJob.params.cast![0]!.referenceMediaIds).toEqual([sheet.result.id]);

  await clickFirstPanel(page);
  await expect(page.getByTestId('panel-cast')).toHaveText('Drawn with Mara');
});
