// Version history on the comic page: saving a version, restoring it for everyone live, undoing that, and
// deleting a version.
import { type Page, expect, test } from '@playwright/test';
import { newAccount, register } from './accounts.ts';
import { connection, createComic, invite, openComic, placeWithText, shapes } from './canvas.ts';

const history = (page: Page) => page.getByRole('complementary', { name: 'History' });

async function openHistory(page: Page) {
  await page.getByRole('button', { name: 'History' }).click();
  await expect(history(page).getByRole('region', { name: 'Version history' })).toBeVisible();
}

test.describe('version history', () => {
  test('two editors: one saves a version, both change the comic, one restores it and the other sees it live, then undoes it', async ({ page: a, browser, baseURL }, testInfo) => {
    test.skip(testInfo.project.name !== 'desktop', 'two browsers side by side: the desktop layout');
    test.setTimeout(120_000);
    const [accountA, accountB] = [newAccount('ada'), newAccount('bo')];
    await register(a, accountA);
    const contextB = await browser.newContext({ baseURL });
    const b = await contextB.newPage();
    await register(b, accountB);

    const comicId = await createComic(a, 'Rewrites');
    await a.getByRole('button', { name: '2 × 2 grid' }).click();
    await invite(a, accountB.username);
    await placeWithText(a, 'caption', shapes(a, 'comic-panel').first(), 'The first draft', 'caption');
    await expect(connection(a)).toHaveText('Saved');

    // A names this state.
    await openHistory(a);
    await history(a).getByLabel('Version name').fill('Before the rewrite');
    await history(a).getByRole('button', { name: 'Save version' }).click();
    const saved = history(a).getByRole('listitem').filter({ hasText: 'Before the rewrite' });
    await expect(saved).toContainText('Named');
    await expect(saved).toContainText(accountA.username);

    // Both change the comic.
    await openComic(b, comicId, 4);
    await placeWithText(b, 'caption', shapes(b, 'comic-panel').nth(1), 'B rewrites', 'caption');
    await placeWithText(a, 'caption', shapes(a, 'comic-panel').nth(2), 'A rewrites too', 'caption');
    await expect(shapes(b, 'caption')).toHaveCount(3);
    await expect(shapes(a, 'caption')).toHaveCount(3);

    // A previews the saved version (drawn without the editor) and restores it; B sees it at once.
    await saved.getByRole('button').first().click();
    await expect(saved.locator('.sheet')).toBeVisible();
    await expect(saved.getByText('The first draft')).toBeVisible();
    a.once('dialog', (dialog) => void dialog.accept());
    await saved.getByRole('button', { name: 'Restore this version' }).click();
    await expect(shapes(b, 'caption')).toHaveCount(1);
    await expect(shapes(b, 'caption')).toContainText('The first draft');
    await expect(shapes(a, 'caption')).toHaveCount(1);
    await expect(history(a).getByRole('listitem').filter({ hasText: 'Before a restore' }).first()).toBeVisible();

    // Nothing is lost: undoing the restore brings both rewrites back, for B too.
    await history(a).getByRole('button', { name: 'Undo restore' }).click();
    await expect(shapes(b, 'caption')).toHaveCount(3);
    await expect(shapes(b, 'caption').filter({ hasText: 'B rewrites' })).toHaveCount(1);
    await expect(shapes(b, 'caption').filter({ hasText: 'A rewrites too' })).toHaveCount(1);
    await contextB.close();
  });

  test('on a phone the history panel saves, previews and deletes a version within the screen', async ({ page }, testInfo) => {
    test.skip(testInfo.project.name !== 'phone', 'the phone layout');
    await register(page, newAccount('pia'));
    await createComic(page, 'Pocket history');
    await page.getByRole('button', { name: '2 × 2 grid' }).click();
    await expect(connection(page)).toHaveText('Saved');
    await openHistory(page);
    await history(page).getByLabel('Version name').fill('Four panels');
    await history(page).getByRole('button', { name: 'Save version' }).click();
    const saved = history(page).getByRole('listitem').filter({ hasText: 'Four panels' });
    await saved.getByRole('button').first().click();
    await expect(saved.locator('.panel')).toHaveCount(4);
    await expect(saved.getByRole('button', { name: 'Restore this version' })).toBeVisible();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(page.viewportSize()!.width);

    page.once('dialog', (dialog) => void dialog.accept());
    await saved.getByRole('button', { name: 'Delete version' }).click();
    await expect(page.getByText('Deleted “Four panels”.')).toBeVisible();
    await expect(saved).toHaveCount(0);
    // Gone for good: not back after a reload.
    await page.reload();
    await openHistory(page);
    await expect(history(page).getByRole('listitem').first()).toBeVisible();
    await expect(history(page).getByRole('listitem').filter({ hasText: 'Four panels' })).toHaveCount(0);
  });
});
