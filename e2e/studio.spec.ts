// The studio against the whole app: API, BullMQ, the gpu-worker and the ComfyUI simulator (SIM_STEP_MS 60).
/// <reference lib="dom" />
import { type Page, expect, test } from '@playwright/test';

function newAccount() {
  const username = `studio_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  return { username, email: `${username}@example.com`, password: 'a long enough passphrase' };
}

async function register(page: Page) {
  const account = newAccount();
  await page.goto('/register');
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Username').fill(account.username);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  return account;
}

// The web server answers before the API does while the app starts: wait until the API answers too.
test.beforeEach(async ({ request }) => {
  await expect.poll(async () => (await request.get('/api/v1/status').catch(() => null))?.status(), { timeout: 30_000 }).toBe(200);
});

/** The area beside the form where the generation just asked for is shown. */
const output = (page: Page) => page.locator('section.output');

test('the studio generates an image, shows it developing and in the gallery, and reuses its seed', async ({ page }) => {
  test.setTimeout(90_000);
  await register(page);

  await page.goto('/studio');
  await expect(page.getByRole('heading', { name: 'Studio', level: 1 })).toBeVisible();
  await expect(page.getByText('Pictures are simulated: no GPU is configured')).toBeVisible();

  // Workflows come from the catalogue; video and GIF are for creators, so a new user sees them disabled.
  await expect(page.getByRole('radio', { name: 'Image to video' })).toBeDisabled();
  await expect(page.getByText('For creators').first()).toBeAttached();
  await page.getByRole('radio', { name: 'Text to image (SDXL)' }).check();
  await expect(page.getByRole('radio', { name: 'Text to image (SDXL)' })).toBeChecked();

  // The form is built from the workflow's JSON Schema, with the role's limits and the catalogue's defaults.
  const prompt = `a lighthouse on a cliff at dusk ${Date.now()}`;
  await expect(page.getByLabel('Width', { exact: true })).toHaveValue('1024');
  await expect(page.getByLabel('Model')).toHaveValue('sdxl-base');
  await expect(page.getByLabel('Random')).toBeChecked();
  await page.getByLabel('Prompt', { exact: true }).fill(prompt);

  // The API's field errors appear beside their fields and beside Generate, and the field has the focus.
  await page.getByLabel('Width', { exact: true }).fill('500');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByText('Use a multiple of 64 pixels')).toHaveCount(2);
  await expect(page.getByRole('alert').filter({ hasText: 'Use a multiple of 64 pixels' })).toBeVisible();
  await expect(page.getByLabel('Width', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Width', { exact: true })).toBeFocused();

  await page.getByLabel('Width', { exact: true }).fill('512');
  await page.getByLabel('Height', { exact: true }).fill('512');
  // The most steps a new user may ask for: at the stack's 60 ms a step the picture develops for 1.8 s, the
  // window in which the page must show its steps (with 24, a loaded CI run once opened the stream too late).
  await page.getByLabel('Steps', { exact: true }).fill('30');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByText('Use a multiple of 64 pixels')).toHaveCount(0);

  // Queue, progress with the picture developing, then the result.
  const panel = output(page);
  await panel.getByText(/Step \d+ of 30/).waitFor({ timeout: 30_000 });
  await expect(panel.getByRole('progressbar', { name: 'Generation progress' })).toBeVisible();
  await panel.getByRole('img', { name: `Developing: ${prompt}` }).waitFor({ timeout: 10_000 });
  const result = panel.getByRole('img', { name: `Result: ${prompt}` });
  await expect(result).toBeVisible({ timeout: 30_000 });
  await expect.poll(() => result.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(512);
  await expect(panel.getByRole('status')).toHaveText('Done');
  await expect(panel.getByRole('button', { name: 'Cancel' })).toHaveCount(0);

  // The download is the stored file, named after the workflow and its seed.
  const download = panel.getByRole('link', { name: 'Download' });
  await expect(download).toHaveAttribute('download', /^inkwell-txt2img-sdxl-\d+\.png$/);
  const file = await page.request.get((await download.getAttribute('href'))!);
  expect(file.status()).toBe(200);
  expect(file.headers()['content-type']).toBe('image/png');
  const seed = Number((await download.getAttribute('download'))!.match(/-(\d+)\.png$/)![1]);

  // It is in the gallery, done; its large view shows the settings it was drawn with.
  const gallery = page.getByRole('list', { name: 'My generations' });
  const tile = gallery.getByRole('button').filter({ hasText: prompt });
  await expect(tile).toContainText('Done');
  await expect(tile.locator('img')).toBeVisible();
  await tile.click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('heading', { name: 'Text to image (SDXL)' })).toBeVisible();
  await expect(dialog.getByRole('img', { name: `Result: ${prompt}` })).toBeVisible();
  await expect(dialog.getByRole('definition').filter({ hasText: '512 px' })).toHaveCount(2);
  await expect(dialog.getByRole('definition').filter({ hasText: String(seed) })).toHaveCount(1);

  // "Use in a comic" offers the comics the user may edit, then their panels (this one has none yet).
  const comic = await page.request.post('/api/v1/comics', { data: { title: 'Studio test comic' } });
  expect(comic.status()).toBe(201);
  const comicId = ((await comic.json()) as { data: { id: string } }).data.id;
  await dialog.getByRole('button', { name: 'Use in a comic' }).click();
  await expect(dialog.getByLabel('Comic')).toHaveValue(comicId);
  await expect(dialog.getByText('“Studio test comic” has no panels yet.')).toBeVisible();

  // Reuse seed: the form gets the same settings and the fixed seed.
  await dialog.getByRole('button', { name: 'Reuse seed' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByLabel('Random')).not.toBeChecked();
  await expect(page.getByLabel('Seed', { exact: true })).toHaveValue(String(seed));
  await expect(page.getByLabel('Prompt', { exact: true })).toHaveValue(prompt);
  await expect(page.getByLabel('Width', { exact: true })).toHaveValue('512');
  await expect(page.getByLabel('Steps', { exact: true })).toHaveValue('30');

  // The same seed draws again; a generation can be cancelled while it waits or runs. One step fewer: the very
  // same graph again would be answered from ComfyUI's cache at once, with nothing left to cancel.
  await page.getByLabel('Steps', { exact: true }).fill('29');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(panel.getByRole('button', { name: 'Cancel' })).toBeVisible();
  await panel.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel.getByRole('status')).toHaveText('Cancelled', { timeout: 20_000 });
  await expect(gallery.locator('[data-job]').first()).toContainText('Cancelled');

  // After a reload, the gallery lists both, newest first.
  await page.reload();
  await expect(gallery.getByRole('listitem')).toHaveCount(2);
  await expect(gallery.locator('[data-job]').first()).toContainText('Cancelled');
  await expect(gallery.locator('[data-job]').nth(1)).toContainText('Done');
});

test('the studio needs an account', async ({ page }) => {
  await page.goto('/studio');
  await expect(page).toHaveURL(/\/login\?next=%2Fstudio$/);
});
