// Comments on the canvas: a viewer pins a comment on a panel, the owner sees the pin live and replies, the
// viewer sees the reply live; the pin follows its panel when it moves; the mention reaches the owner's bell;
// what was said while someone was disconnected reaches them when they are back.
/// <reference lib="dom" />
import { type Browser, type Page, type WebSocketRoute, expect, test } from '@playwright/test';
import { type Account, newAccount, register } from './accounts.ts';
import { connection, createComic, invite, openComic, shapes } from './canvas.ts';

async function person(browser: Browser, baseURL: string | undefined, account: Account) {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await register(page, account);
  return page;
}

const panel = (page: Page) => page.getByTestId('comments-panel');
const pins = (page: Page) => page.getByTestId('comment-pin');

test('a viewer comments on a panel; the owner sees the pin and replies; the viewer sees the reply live', async ({ page: owner, browser, baseURL }, testInfo) => {
  test.skip(testInfo.project.name !== 'desktop', 'two browsers side by side: the desktop layout');
  test.setTimeout(90_000);
  const [ownerAccount, viewerAccount] = [newAccount('ines'), newAccount('vic')];
  await register(owner, ownerAccount);
  const viewer = await person(browser, baseURL, viewerAccount);

  const comicId = await createComic(owner, 'Reviewed');
  await owner.getByRole('button', { name: 'Add page' }).click();
  await owner.getByRole('dialog', { name: 'Add a page' }).getByRole('button', { name: '2 × 2 grid' }).click();
  await expect(connection(owner)).toHaveText('Saved');
  await invite(owner, viewerAccount.username, 'viewer');

  // The viewer opens comment mode and taps the first panel; the mention is offered as they type.
  await openComic(viewer, comicId, 4);
  await viewer.getByRole('button', { name: /^Comments/ }).click();
  // Escape leaves comment mode; the second time, the viewer places the pin.
  await panel(viewer).getByRole('button', { name: 'Add a comment' }).click();
  await expect(viewer.getByTestId('comment-placing')).toBeVisible();
  await viewer.keyboard.press('Escape');
  await expect(viewer.getByTestId('comment-placing')).toHaveCount(0);
  await panel(viewer).getByRole('button', { name: 'Add a comment' }).click();
  const target = (await shapes(viewer, 'comic-panel').first().boundingBox())!;
  await expect(viewer.getByTestId('comment-placing')).toBeVisible();
  await viewer.mouse.click(target.x + target.width / 2, target.y + target.height / 2);
  await expect(panel(viewer)).toContainText('New comment · On a shape');
  const box = panel(viewer).getByLabel('Your comment');
  await box.fill(`The cat looks sad <b>here</b> @${ownerAccount.username.slice(0, 4)}`);
  await panel(viewer).getByRole('option', { name: `@${ownerAccount.username}` }).click();
  await expect(box).toHaveValue(`The cat looks sad <b>here</b> @${ownerAccount.username} `);
  await panel(viewer).getByRole('button', { name: 'Post' }).click();
  await expect(pins(viewer)).toHaveCount(1);

  // The owner sees the pin arrive live, on the panel; it opens the thread, shown as plain text.
  await expect(pins(owner)).toHaveCount(1);
  await pins(owner).click();
  const thread = panel(owner).getByTestId('comment-thread');
  await expect(thread).toContainText('The cat looks sad <b>here</b>');
  await thread.getByLabel('Reply').fill('Fixed: she smiles now');
  await thread.getByRole('button', { name: 'Reply' }).click();

  // The viewer sees the reply live, loading only that thread, not every comment of the comic again.
  const listLoads: string[] = [];
  viewer.on('request', (request) => {
    if (new URL(request.url()).pathname === `/api/v1/comics/${comicId}/comments`) listLoads.push(request.method());
  });
  await expect(panel(viewer).getByTestId('comment-thread')).toContainText('Fixed: she smiles now');

  // The owner moves every panel to the right: the viewer's pin follows its panel.
  const before = (await pins(viewer).boundingBox())!;
  await owner.getByTestId('comic-canvas').evaluate((el) => {
    const editor = (el as HTMLElement & { inkwellEditor: { selectAll(): unknown; getSelectedShapeIds(): string[]; nudgeShapes(ids: string[], by: { x: number; y: number }): unknown } }).inkwellEditor;
    editor.selectAll();
    editor.nudgeShapes(editor.getSelectedShapeIds(), { x: 300, y: 0 });
  });
  await expect.poll(async () => (await pins(viewer).boundingBox())!.x).toBeGreaterThan(before.x + 20);

  // The owner resolves the thread: the viewer, who has it open, sees it resolved (its pin greyed), then closes it and the pin goes.
  await thread.getByRole('button', { name: 'Resolve' }).click();
  await expect(pins(viewer)).toHaveAccessibleName('Comment 1 (resolved)');
  await expect(panel(viewer).getByRole('tab', { name: 'Resolved (1)' })).toHaveAttribute('aria-selected', 'true');
  await panel(viewer).getByTestId('comment-thread').getByRole('button', { expanded: true }).click();
  await expect(pins(viewer)).toHaveCount(0);
  expect(listLoads.filter((method) => method === 'GET')).toEqual([]);

  // The mention reached the owner's bell; the notification leads back to the thread.
  await owner.reload();
  const bell = owner.getByTestId('notification-bell');
  await expect(bell).toContainText('1');
  await bell.click();
  const mention = owner.getByRole('link', { name: `${viewerAccount.username} mentioned you on “Reviewed”: The cat looks sad <b>here</b> @${ownerAccount.username}` });
  await mention.click();
  await expect(owner).toHaveURL(new RegExp(`/comics/${comicId}\\?comment=`));
  await expect(panel(owner).getByTestId('comment-thread')).toContainText('Fixed: she smiles now');
  await expect(pins(owner)).toHaveAttribute('aria-pressed', 'true');

  // The owner deletes the thread: it goes from the viewer's resolved list live.
  await expect(panel(viewer).getByRole('tab', { name: 'Resolved (1)' })).toBeVisible();
  owner.once('dialog', (dialog) => void dialog.accept());
  await panel(owner).getByTestId('comment-thread').getByRole('button', { name: 'Delete' }).first().click();
  await expect(pins(owner)).toHaveCount(0);
  await expect(panel(viewer).getByRole('tab', { name: 'Resolved (0)' })).toBeVisible();
  await viewer.context().close();
});

test('comments posted while a collaborator was disconnected reach them when the connection returns', async ({ page: owner, browser, baseURL }, testInfo) => {
  test.skip(testInfo.project.name !== 'desktop', 'two browsers side by side: the desktop layout');
  const [ownerAccount, editorAccount] = [newAccount('ada'), newAccount('eli')];
  await register(owner, ownerAccount);
  const editor = await person(browser, baseURL, editorAccount);
  const comicId = await createComic(owner, 'Away');
  await owner.getByRole('button', { name: '2 × 2 grid' }).click();
  await invite(owner, editorAccount.username);

  // The editor's connection to the collab-server goes through here, so that the test can cut it (and keep
  // refusing it) while the browser still believes it is online.
  let cut = false;
  const sockets: WebSocketRoute[] = [];
  await editor.routeWebSocket(/\/collab/, (socket) => {
    if (cut) return void socket.close({ code: 1006 });
    sockets.push(socket);
    socket.connectToServer();
  });
  await openComic(editor, comicId, 4);

  // The announcement of the new thread reaches no one while the editor is disconnected...
  cut = true;
  for (const socket of sockets) await socket.close({ code: 1006 });
  await expect(connection(editor)).toHaveAttribute('data-connection', 'reconnecting');
  const pageId = await owner.getByTestId('comic-canvas').evaluate((el) => (el as HTMLElement & { inkwellEditor: { getCurrentPageId(): string } }).inkwellEditor.getCurrentPageId());
  const posted = await owner.request.post(`/api/v1/comics/${comicId}/comments`, { data: { body: 'Posted while you were away', anchor: { pageId, x: 40, y: 40 } } });
  expect(posted.status()).toBe(201);
  await expect(pins(owner)).toHaveCount(1);
  await expect(pins(editor)).toHaveCount(0);

  // ...so the editor's canvas loads every comment again once it is back.
  cut = false;
  await expect(connection(editor)).toHaveText('Saved', { timeout: 15_000 });
  await expect(pins(editor)).toHaveCount(1);
  await editor.context().close();
});

test('on a phone, a comment is placed with a tap and read in the folding panel', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'phone', 'the folding panel is the narrow layout');
  await register(page, newAccount('pia'));
  await createComic(page, 'Pocket notes');
  await page.getByRole('button', { name: '2 × 2 grid' }).click();
  await expect(shapes(page, 'comic-panel')).toHaveCount(4);

  await page.getByRole('button', { name: /^Comments/ }).click();
  await panel(page).getByRole('button', { name: 'Add a comment' }).click();
  // The panel folds away so that the canvas can be tapped, and comes back with the new comment's form.
  await expect(panel(page)).toBeHidden();
  const target = (await shapes(page, 'comic-panel').nth(1).boundingBox())!;
  await page.touchscreen.tap(target.x + target.width / 2, target.y + target.height / 2);
  await expect(panel(page)).toContainText('New comment · On a shape');
  await panel(page).getByLabel('Your comment').fill('Too much text for this panel');
  await panel(page).getByRole('button', { name: 'Post' }).click();
  await expect(panel(page).getByTestId('comment-thread')).toContainText('Too much text for this panel');
  await expect(pins(page)).toHaveCount(1);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(page.viewportSize()!.width);
  await page.screenshot({ path: testInfo.outputPath('phone-comments.png') });
});
