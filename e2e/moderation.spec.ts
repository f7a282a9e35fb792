import { type Browser, type Page, expect, test } from '@playwright/test';
import { type Account, SUPER_ADMIN, grantRole, newAccount, register } from './accounts.ts';
import { connection, createComic } from './canvas.ts';

/** A browser of its own for each person, signed up (or, for the moderator, signed in). */
async function personPage(browser: Browser, baseURL: string, account?: Account): Promise<Page> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  if (account) await register(page, account);
  else expect((await page.request.post('/api/v1/auth/login', { data: { login: SUPER_ADMIN.username, password: SUPER_ADMIN.password } })).ok()).toBe(true);
  return page;
}

/** An author (made a creator, who may publish) makes a one-page comic and publishes it publicly. */
async function publishedComic(browser: Browser, baseURL: string, title: string) {
  const author = newAccount('author');
  const studio = await personPage(browser, baseURL, author);
  await grantRole(baseURL, author, 'creator');
  expect((await studio.request.post('/api/v1/auth/login', { data: { login: author.username, password: author.password } })).ok()).toBe(true);
  const comicId = await createComic(studio, title);
  await studio.getByRole('button', { name: 'Add page' }).click();
  await studio.getByRole('dialog', { name: 'Add a page' }).getByRole('button', { name: 'Two rows' }).click();
  await expect(connection(studio)).toHaveText('Saved');
  // The collab-server stores the summary a moment after the edit: publishing answers nothing_to_publish until it has.
  const publish = () => studio.request.post(`/api/v1/comics/${comicId}/publish`, { data: { visibility: 'public' } });
  await expect.poll(async () => (await publish()).status(), { timeout: 15_000 }).toBe(200);
  const published = await publish();
  expect(published.ok(), await published.text()).toBe(true);
  return { studio, comicId, readerUrl: new URL((await published.json()).data.readerUrl as string).pathname };
}

test('a reader reports a comic, a moderator hides it, the author appeals and the moderator restores it', async ({ browser, baseURL }, testInfo) => {
  test.skip(testInfo.project.name !== 'desktop', 'authoring and the moderators’ queue are desktop work; the reader is tested on a phone');
  test.setTimeout(120_000);
  const title = `Night market ${Date.now().toString(36)}`;

  // An author (a creator, who may publish) makes a one-page comic and publishes it.
  const { studio, comicId, readerUrl } = await publishedComic(browser, baseURL!, title);

  // Another account reads it and reports it from the reader.
  const reader = await personPage(browser, baseURL!, newAccount('reader'));
  await reader.goto(readerUrl);
  await expect(reader.getByRole('heading', { level: 1 })).toHaveText(title);
  await reader.getByRole('button', { name: 'Report' }).click();
  const report = reader.getByRole('dialog', { name: 'Report this comic' });
  await report.getByRole('radio', { name: /Spam/ }).check();
  await report.getByLabel(/Details/).fill('Links to a shop on every page.');
  await report.getByRole('button', { name: 'Send report' }).click();
  await expect(report.getByRole('status')).toContainText('moderators will look at it');

  // The moderator finds it in the queue, with the reporter's details, and hides it with the key h.
  const moderator = await personPage(browser, baseURL!);
  await moderator.goto('/admin/reports');
  const card = moderator.getByRole('listitem').filter({ has: moderator.getByRole('link', { name: title }) });
  await expect(card).toContainText('spam ×1');
  await expect(card).toContainText('Links to a shop on every page.');
  await card.getByLabel('Reason').fill('Advertising, not a comic.');
  // A click on the card (outside its fields) selects it and leaves the reason field, so the keys act.
  await card.getByText('spam ×1').click();
  await moderator.keyboard.press('h');
  await expect(moderator.getByRole('status')).toContainText(`hide done: ${title}`);

  // The reader's link is now the friendly not-available page.
  const gone = await reader.goto(readerUrl);
  expect(gone?.status()).toBe(404);
  await expect(reader.getByRole('heading', { name: 'This comic isn’t here' })).toBeVisible();

  // The author sees why on the comic page and appeals.
  await studio.goto(`/comics/${comicId}`);
  const notice = studio.getByRole('note', { name: 'Moderation' });
  await expect(notice).toContainText('Moderators hid this comic');
  await expect(notice).toContainText('Advertising, not a comic.');
  await notice.getByLabel(/Appeal once/).fill('These are the characters’ shop signs, part of the story.');
  await notice.getByRole('button', { name: 'Send appeal' }).click();
  await expect(notice).toContainText('You appealed; a moderator will look at it.');

  // The moderator sees the appeal in the queue and restores the comic.
  await moderator.reload();
  await expect(card).toContainText('Appeal: These are the characters’ shop signs, part of the story.');
  await card.getByLabel('Reason').fill('The signs are part of the story.');
  await card.getByRole('button', { name: 'Restore (r)' }).click();
  await expect(moderator.getByRole('status')).toContainText(`restore done: ${title}`);

  // The reader's link works again.
  const back = await reader.goto(readerUrl);
  expect(back?.status()).toBe(200);
  await expect(reader.getByRole('heading', { level: 1 })).toHaveText(title);
});

test('an administrator suspends an account for a time with a reason, and lifts it', async ({ browser, baseURL, page }) => {
  const member = newAccount('member');
  const signup = await browser.newContext({ baseURL });
  await register(await signup.newPage(), member);
  await signup.close();
  expect((await page.request.post('/api/v1/auth/login', { data: { login: SUPER_ADMIN.username, password: SUPER_ADMIN.password } })).ok()).toBe(true);

  await page.goto(`/admin?q=${member.username}`);
  const row = page.getByRole('row').filter({ hasText: member.username });
  await row.getByRole('button', { name: 'Suspend…' }).click();
  const dialog = page.getByRole('dialog', { name: `Suspend ${member.username}` });
  await dialog.getByLabel('For').selectOption({ label: 'A week' });
  await dialog.getByLabel('Reason').fill('Posting the same advert everywhere');
  await dialog.getByRole('button', { name: 'Suspend' }).click();
  await expect(dialog).toBeHidden();

  // The row shows until when (a week from now) and why.
  const inAWeek = new Date(Date.now() + 7 * 86_400_000).toLocaleDateString('en', { dateStyle: 'medium' });
  await expect(row).toContainText(`Suspended until ${inAWeek}`);
  await expect(row).toContainText('Posting the same advert everywhere');

  await row.getByRole('button', { name: 'Unsuspend' }).click();
  await expect(row).not.toContainText('Suspended until');
  await expect(row.getByRole('button', { name: 'Suspend…' })).toBeVisible();
});

test('a moderator sees what went public lately, opens its target view and hides it from the feed', async ({ browser, baseURL }, testInfo) => {
  test.skip(testInfo.project.name !== 'desktop', 'authoring is desktop work');
  test.setTimeout(90_000);
  const title = `Fresh ink ${Date.now().toString(36)}`;
  const { readerUrl } = await publishedComic(browser, baseURL!, title);

  const moderator = await personPage(browser, baseURL!);
  await moderator.goto('/admin/reports');
  await moderator.getByRole('navigation', { name: 'Moderation lists' }).getByRole('link', { name: 'New and public' }).click();
  const item = moderator.getByRole('listitem').filter({ has: moderator.getByRole('link', { name: title }) });
  await expect(item).toContainText('public since');
  await expect(item.getByRole('link', { name: 'as readers see it' })).toHaveAttribute('href', readerUrl);

  // Its title leads to the target view; back in the feed, a reason and Hide take it off the site and the feed.
  await item.getByRole('link', { name: title }).click();
  await expect(moderator).toHaveURL(/\/admin\/reports\/comic\/[0-9a-f-]{36}$/);
  await moderator.goBack();
  await item.getByLabel('Reason').fill('Not a comic: one empty page.');
  await item.getByRole('button', { name: 'Hide' }).click();
  await expect(moderator.getByRole('status')).toContainText(`Hidden: ${title}`);
  await expect(item).toHaveCount(0);
  const stranger = await browser.newContext({ baseURL });
  expect((await stranger.request.get(readerUrl)).status()).toBe(404);
  await stranger.close();
});

test('a signed-in stranger reports a public picture from its page, and the queue lists the picture', async ({ browser, baseURL }, testInfo) => {
  test.skip(testInfo.project.name !== 'desktop', 'the moderators’ queue is desktop work');
  test.setTimeout(60_000);
  const filename = `harbour-${Date.now().toString(36)}.png`;

  // The owner uploads a picture and makes it public.
  const owner = await personPage(browser, baseURL!, newAccount('owner'));
  const mediaId = await owner.evaluate(async (name) => {
    const drawing = document.createElement('canvas');
    drawing.width = 64;
    drawing.height = 48;
    drawing.getContext('2d')!.fillRect(8, 8, 32, 24);
    const blob = await new Promise<Blob>((resolve) => drawing.toBlob((b) => resolve(b!), 'image/png'));
    const body = new FormData();
    body.append('file', blob, name);
    const response = await fetch('/api/v1/media?privacy=private', { method: 'POST', body });
    return ((await response.json()) as { data: { id: string } }).data.id;
  }, filename);
  // Private, its page reads as missing to others; public, it is there for anyone.
  const stranger = await (await browser.newContext({ baseURL })).newPage();
  expect((await stranger.goto(`/media/${mediaId}`))?.status()).toBe(404);
  await expect(stranger.getByRole('heading', { name: 'This picture isn’t here' })).toBeVisible();
  expect((await owner.request.patch(`/api/v1/media/${mediaId}`, { data: { privacy: 'public' } })).ok()).toBe(true);
  expect((await stranger.goto(`/media/${mediaId}`))?.status()).toBe(200);
  await stranger.context().close();

  // Another account opens its page, sees the picture and reports it.
  const reader = await personPage(browser, baseURL!, newAccount('viewer'));
  await reader.goto(`/media/${mediaId}`);
  await expect(reader.getByRole('heading', { level: 1 })).toHaveText(filename);
  await expect(reader.getByRole('img', { name: filename })).toHaveJSProperty('naturalWidth', 64);
  await reader.getByRole('button', { name: 'Report' }).click();
  const report = reader.getByRole('dialog', { name: 'Report this picture' });
  await report.getByRole('radio', { name: /Spam/ }).check();
  await report.getByRole('button', { name: 'Send report' }).click();
  await expect(report.getByRole('status')).toContainText('moderators will look at it');

  // The moderator's queue lists it as a picture.
  const moderator = await personPage(browser, baseURL!);
  await moderator.goto('/admin/reports?targetType=media');
  const card = moderator.getByRole('listitem').filter({ hasText: filename });
  await expect(card).toContainText('media by');
  await expect(card).toContainText('spam ×1');

  // On a phone the queue's cards, long names and reason fields stay within the screen.
  await moderator.setViewportSize({ width: 375, height: 800 });
  await expect.poll(() => moderator.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
});
