// The comic canvas in the browser tests: making a comic, opening it, and writing on it with the comic tools.
import { type Locator, type Page, expect } from '@playwright/test';

export async function createComic(page: Page, title: string, description = '') {
  const toggle = page.getByRole('button', { name: 'Open menu' });
  if (await toggle.isVisible()) await toggle.click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My comics' }).click();
  await expect(page.getByRole('heading', { name: 'My comics' })).toBeVisible();
  await page.getByLabel('Title').fill(title);
  if (description) await page.getByLabel('Description').fill(description);
  await page.getByRole('button', { name: 'Create comic' }).click();
  await expect(page).toHaveURL(/\/comics\/[0-9a-f-]{36}$/);
  await expect(canvasReady(page)).toBeVisible({ timeout: OPEN_TIMEOUT });
  return page.url().split('/').at(-1)!;
}

/** Opening a comic loads tldraw (about 2 MB) and the document: slow machines and busy CI runners need longer than 5 s. */
export const OPEN_TIMEOUT = 20_000;

/** Opens a comic and waits until it is live, with its panels drawn. */
export async function openComic(page: Page, comicId: string, panels: number) {
  await page.goto(`/comics/${comicId}`);
  await expect(canvasReady(page)).toBeVisible({ timeout: OPEN_TIMEOUT });
  await expect(shapes(page, 'comic-panel')).toHaveCount(panels, { timeout: OPEN_TIMEOUT });
  await expect(connection(page)).toHaveAttribute('data-connection', 'connected', { timeout: OPEN_TIMEOUT });
}

/** Adds a 2×2 page to the open comic from the Add page dialog, and waits until it is live with its four panels. */
export async function addGridPage(page: Page) {
  await page.getByRole('button', { name: 'Add page' }).click();
  await page.getByRole('dialog', { name: 'Add a page' }).getByRole('button', { name: '2 × 2 grid' }).click();
  await expect(shapes(page, 'comic-panel')).toHaveCount(4, { timeout: OPEN_TIMEOUT });
  await expect(connection(page)).toHaveAttribute('data-connection', 'connected', { timeout: OPEN_TIMEOUT });
}

/** The owner adds a member by username in the comic's sharing panel, and waits until they are in. */
export async function invite(page: Page, username: string, role: 'editor' | 'viewer' = 'editor') {
  const sharing = page.getByRole('complementary', { name: 'Sharing' });
  await sharing.getByLabel('Username').fill(username);
  await sharing.getByLabel('Role', { exact: true }).selectOption(role);
  await sharing.getByRole('button', { name: 'Invite' }).click();
  await expect(sharing.getByText(`${username} joined as ${role}.`)).toBeVisible();
}

/** The canvas, once tldraw shows the comic. */
export const canvasReady = (page: Page) => page.getByTestId('comic-canvas').locator('.tl-canvas');
export const shapes = (page: Page, type: string) => page.locator(`.tl-shape[data-shape-type="${type}"]`);
export const connection = (page: Page) => page.locator('[data-connection]');

/** Places a shape with a comic tool in the middle of `panel`, and types its text. */
export async function placeWithText(page: Page, tool: string, panel: Locator, text: string, type: string) {
  await page.getByTestId(`tools.${tool}`).click();
  const box = (await panel.boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.keyboard.press('Enter');
  // tldraw starts its text editor a moment after Enter: type once it has the focus.
  const editable = shapes(page, type).locator('[contenteditable="true"]');
  await expect(editable).toBeFocused();
  // One input event for the whole text: keystroke by keystroke, a busy machine let the caret jump mid-word.
  await page.keyboard.insertText(text);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
}
