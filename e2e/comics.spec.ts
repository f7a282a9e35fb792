// The callbacks given to page.evaluate run in the browser.
/// <reference lib="dom" />
import { readFile } from 'node:fs/promises';
import { type Browser, type Page, expect, test } from '@playwright/test';
import { type Account, newAccount, register } from './accounts.ts';
import { OPEN_TIMEOUT, canvasReady, connection, createComic, invite, openComic, placeWithText, shapes } from './canvas.ts';

/** A second (third) person: their own browser context, so their own session. */
async function person(browser: Browser, baseURL: string | undefined, account: Account) {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await register(page, account);
  return page;
}

/** Who is here, as listed in the sharing panel. */
const here = (page: Page) => page.getByRole('complementary', { name: 'Sharing' }).getByRole('list', { name: 'Here now' });

/** What the tests read of tldraw's editor (exposed on the canvas element as `inkwellEditor`). */
interface EditorView {
  getCollaborators(): { userName: string; color: string; cursor: { x: number; y: number } | null }[];
  getInstanceState(): { isReadonly: boolean; followingUserId: string | null };
  screenToPage(point: { x: number; y: number }): { x: number; y: number };
  pageToScreen(point: { x: number; y: number }): { x: number; y: number };
  getCurrentPageShapes(): { id: string; type: string; parentId: string }[];
}
/** The canvas element, which carries the editor for tests and the console. */
type CanvasElement = HTMLElement & { inkwellEditor: EditorView };
const canvas = (page: Page) => page.getByTestId('comic-canvas');

const hexToRgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

test.describe('comics', () => {
  test('three people make a comic together, live', async ({ page: a, browser, baseURL }, testInfo) => {
    test.skip(testInfo.project.name !== 'desktop', 'three browsers side by side: the desktop layout');
    test.setTimeout(120_000);
    const [accountA, accountB, accountC] = [newAccount('mia'), newAccount('jon'), newAccount('zoe')];

    await a.setViewportSize({ width: 1280, height: 800 });
    await register(a, accountA);
    const [b, c] = await Promise.all([person(browser, baseURL, accountB), person(browser, baseURL, accountC)]);

    // A starts a comic and lays out a 2×2 page.
    const comicId = await createComic(a, 'The Night Market', 'A cat sells lanterns after dark.');
    await expect(a.getByRole('heading', { name: 'The Night Market' })).toBeVisible();
    await a.getByRole('button', { name: 'Add page' }).click();
    await a.getByRole('dialog', { name: 'Add a page' }).getByRole('button', { name: '2 × 2 grid' }).click();
    await expect(shapes(a, 'comic-panel')).toHaveCount(4);
    await expect(connection(a)).toHaveText('Saved');

    // A invites B as an editor, and makes a share link for viewers.
    const sharing = a.getByRole('complementary', { name: 'Sharing' });
    await sharing.getByLabel('Username').fill(accountB.username);
    await sharing.getByLabel('Role', { exact: true }).selectOption('editor');
    await sharing.getByRole('button', { name: 'Invite' }).click();
    await expect(sharing.getByText(`${accountB.username} joined as editor.`)).toBeVisible();
    await expect(sharing.getByRole('listitem').filter({ hasText: accountB.username })).toContainText(accountB.username);
    await sharing.getByLabel('Role for people who join by link').selectOption('viewer');
    await sharing.getByRole('button', { name: 'Create link' }).click();
    const shareUrl = await sharing.getByLabel('Share link', { exact: true }).inputValue();
    expect(shareUrl).toMatch(/\/invite\/[^/]+$/);

    // B opens the comic: the same four panels, and A in the list of who is here.
    await openComic(b, comicId, 4);
    await expect(connection(b)).toHaveText('Saved');
    await expect(here(b).getByRole('button', { name: `Follow ${accountA.username}` })).toBeVisible();
    await expect(here(a).getByRole('button', { name: `Follow ${accountB.username}` })).toBeVisible();

    // B follows A's view; A points at the first panel, and B sees A's cursor there, drawn in A's colour.
    await here(b).getByRole('button', { name: `Follow ${accountA.username}` }).click();
    await expect(here(b).getByRole('button', { name: `Stop following ${accountA.username}` })).toBeVisible();
    const first = shapes(a, 'comic-panel').first();
    const panelBox = (await first.boundingBox())!;
    const point = { x: panelBox.x + 40, y: panelBox.y + 60 };
    await a.mouse.move(point.x - 30, point.y - 30);
    await a.mouse.move(point.x, point.y, { steps: 5 });
    const pagePoint = await canvas(a).evaluate((el: CanvasElement, p) => el.inkwellEditor.screenToPage(p), point);
    await expect
      .poll(
        async () => {
          const cursor = await canvas(b).evaluate(
            (el: CanvasElement, name) => el.inkwellEditor.getCollaborators().find((peer) => peer.userName === name)?.cursor ?? null,
            accountA.username,
          );
          return cursor ? Math.hypot(cursor.x - pagePoint.x, cursor.y - pagePoint.y) : Infinity;
        },
        { timeout: 1_000, message: 'A’s cursor reaches B within a second' },
      )
      .toBeLessThan(1);
    // tldraw draws collaborators' cursors as DOM elements over the canvas: A's, in A's colour, at A's point.
    const cursor = b.locator('.tl-collaborators__item').filter({ hasText: accountA.username });
    await expect(cursor).toBeVisible();
    const expected = await canvas(b).evaluate((el: CanvasElement, name) => {
      const editor = el.inkwellEditor;
      const peer = editor.getCollaborators().find((c) => c.userName === name)!;
      return { ...editor.pageToScreen(peer.cursor!), color: peer.color };
    }, accountA.username);
    const arrow = (await cursor.locator('.tl-cursor').boundingBox())!;
    expect(Math.abs(arrow.x + arrow.width / 2 - expected.x)).toBeLessThan(arrow.width);
    expect(Math.abs(arrow.y + arrow.height / 2 - expected.y)).toBeLessThan(arrow.height);
    await expect(cursor.locator('.tl-nametag')).toHaveCSS('background-color', hexToRgb(expected.color));
    await here(b).getByRole('button', { name: `Stop following ${accountA.username}` }).click();

    // A writes a speech bubble in the first panel; B sees it within a second.
    await placeWithText(a, 'speech-bubble', first, 'Meet me at the night market.', 'speech-bubble');
    const typed = Date.now();
    await expect(shapes(b, 'speech-bubble')).toContainText('Meet me at the night market.', { timeout: 1_000 });
    testInfo.annotations.push({ type: 'bubble seen by B after', description: `${Date.now() - typed} ms` });
    // The bubble belongs to the panel it was made in.
    const parents = await canvas(a).evaluate((el: CanvasElement) => {
      const all = el.inkwellEditor.getCurrentPageShapes();
      return all.filter((shape) => shape.type === 'speech-bubble').map((shape) => all.find((p) => p.id === shape.parentId)?.type);
    });
    expect(parents).toEqual(['comic-panel']);

    // B adds a caption in the second panel; A sees it.
    await placeWithText(b, 'caption', shapes(b, 'comic-panel').nth(1), 'Later that night…', 'caption');
    await expect(shapes(a, 'caption')).toContainText('Later that night…', { timeout: 2_000 });

    // Undo on A takes back A's own edits only (tldraw first restores the selection, then the text): B's
    // caption stays, on both screens. Redo brings the text back for everyone.
    const bubbleText = 'Meet me at the night market.';
    await expect(async () => {
      await a.keyboard.press('ControlOrMeta+z');
      await expect(shapes(a, 'speech-bubble')).not.toContainText(bubbleText, { timeout: 300 });
    }).toPass({ timeout: 5_000 });
    await expect(shapes(b, 'speech-bubble')).not.toContainText(bubbleText);
    await expect(shapes(a, 'caption')).toContainText('Later that night…');
    await expect(shapes(b, 'caption')).toContainText('Later that night…');
    await expect(async () => {
      await a.keyboard.press('ControlOrMeta+Shift+z');
      await expect(shapes(a, 'speech-bubble')).toContainText(bubbleText, { timeout: 300 });
    }).toPass({ timeout: 5_000 });
    await expect(shapes(b, 'speech-bubble')).toContainText(bubbleText);

    // C joins through the share link as a viewer: sees both, live, and cannot change anything.
    await c.goto(new URL(shareUrl).pathname);
    await expect(c).toHaveURL(new RegExp(`/comics/${comicId}$`));
    await expect(shapes(c, 'comic-panel')).toHaveCount(4, { timeout: OPEN_TIMEOUT });
    await expect(c.getByText('You can view this comic.')).toBeVisible();
    await expect(shapes(c, 'speech-bubble')).toContainText('Meet me at the night market.');
    await expect(shapes(c, 'caption')).toContainText('Later that night…');
    await expect(c.getByTestId('tools.speech-bubble')).toHaveCount(0);
    await expect(c.getByRole('button', { name: 'Add page' })).toHaveCount(0);
    expect(await canvas(c).evaluate((el: CanvasElement) => el.inkwellEditor.getInstanceState().isReadonly)).toBe(true);
    // Double-clicking the bubble does not open its text for C.
    const bubbleBox = (await shapes(c, 'speech-bubble').boundingBox())!;
    await c.mouse.dblclick(bubbleBox.x + bubbleBox.width / 2, bubbleBox.y + bubbleBox.height / 2);
    await expect(shapes(c, 'speech-bubble').locator('[contenteditable="true"]')).toHaveCount(0);
    await expect(here(a).getByRole('button', { name: `Follow ${accountC.username}` })).toBeVisible();

    // Reload keeps everything.
    await expect(connection(a)).toHaveText('Saved');
    await expect(connection(b)).toHaveText('Saved');
    for (const viewer of [a, c]) {
      await viewer.reload();
      await expect(shapes(viewer, 'comic-panel')).toHaveCount(4, { timeout: OPEN_TIMEOUT });
      await expect(shapes(viewer, 'speech-bubble')).toContainText('Meet me at the night market.');
      await expect(shapes(viewer, 'caption')).toContainText('Later that night…');
    }

    await b.context().close();
    await c.context().close();
  });

  test('a picture dropped on a panel is uploaded, fills the panel and stays after a reload', async ({ page }, testInfo) => {
    test.skip(testInfo.project.name !== 'desktop', 'dragging files is a desktop gesture');
    await register(page, newAccount('pia'));
    await createComic(page, 'Pictures');
    await page.getByRole('button', { name: '2 × 2 grid' }).click();
    await expect(shapes(page, 'comic-panel')).toHaveCount(4);

    // A real PNG, made by the browser, dropped on the second panel.
    const panel = shapes(page, 'comic-panel').nth(1);
    const box = (await panel.boundingBox())!;
    const dataTransfer = await page.evaluateHandle(async () => {
      const drawing = document.createElement('canvas');
      drawing.width = 300;
      drawing.height = 200;
      const ctx = drawing.getContext('2d')!;
      ctx.fillStyle = '#e8590c';
      ctx.fillRect(0, 0, 300, 200);
      ctx.fillStyle = '#1c7ed6';
      ctx.fillRect(100, 50, 100, 100);
      const blob = await new Promise<Blob>((resolve) => drawing.toBlob((b) => resolve(b!), 'image/png'));
      const transfer = new DataTransfer();
      transfer.items.add(new File([blob], 'lantern.png', { type: 'image/png' }));
      return transfer;
    });
    const uploaded = page.waitForResponse((response) => response.url().includes('/api/v1/media?') && response.request().method() === 'POST');
    await canvas(page).locator('.tl-canvas').dispatchEvent('drop', { dataTransfer, clientX: box.x + box.width / 2, clientY: box.y + box.height / 2 });
    expect((await uploaded).status()).toBe(201);

    const check = () =>
      canvas(page).evaluate((el: CanvasElement) => {
        const editor = el.inkwellEditor as unknown as {
          getCurrentPageShapes(): { id: string; type: string; parentId: string; props: { w: number; h: number; assetId?: string } }[];
          getAsset(id: string): { props: { src: string | null } } | undefined;
        };
        const all = editor.getCurrentPageShapes();
        const image = all.find((shape) => shape.type === 'image');
        const parent = all.find((shape) => shape.id === image?.parentId);
        return {
          parentType: parent?.type,
          fills: !!image && !!parent && image.props.w === parent.props.w && image.props.h === parent.props.h,
          src: image?.props.assetId ? editor.getAsset(image.props.assetId)?.props.src : null,
        };
      });
    await expect.poll(async () => (await check()).src).toMatch(/^\/api\/v1\/media\/[0-9a-f-]{36}\/file$/);
    expect(await check()).toMatchObject({ parentType: 'comic-panel', fills: true });

    await expect(connection(page)).toHaveText('Saved');
    await page.reload();
    await expect(canvasReady(page)).toBeVisible({ timeout: OPEN_TIMEOUT });
    const picture = shapes(page, 'image').locator('img');
    await expect(picture).toHaveAttribute('src', /\/api\/v1\/media\/[0-9a-f-]{36}\/file$/);
    await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  });

  test('edits made offline reach the others when the connection returns', async ({ page: a, browser, baseURL }, testInfo) => {
    test.skip(testInfo.project.name !== 'desktop', 'two browsers side by side: the desktop layout');
    const [accountA, accountB] = [newAccount('ola'), newAccount('ike')];
    await register(a, accountA);
    const b = await person(browser, baseURL, accountB);
    const comicId = await createComic(a, 'Offline');
    await a.getByRole('button', { name: '2 × 2 grid' }).click();
    await invite(a, accountB.username);
    await openComic(b, comicId, 4);

    await a.context().setOffline(true);
    await expect(connection(a)).toHaveAttribute('data-connection', 'offline');
    await placeWithText(a, 'caption', shapes(a, 'comic-panel').nth(2), 'Written on the train', 'caption');
    await expect(connection(a)).toHaveText(/^Offline · \d+ changes? waiting to be sent$/);
    await expect(shapes(b, 'caption')).toHaveCount(0);

    await a.context().setOffline(false);
    await expect(shapes(b, 'caption')).toContainText('Written on the train');
    await expect(connection(a)).toHaveText('Saved');
    await b.context().close();
  });

  test('edits made offline survive a closed tab, and signing out forgets them', async ({ page: a, browser, baseURL }, testInfo) => {
    test.skip(testInfo.project.name !== 'desktop', 'two browsers side by side: the desktop layout');
    test.setTimeout(90_000);
    const [accountA, accountB] = [newAccount('tam'), newAccount('ren')];
    // Chromium's offline mode holds a closed tab's last websocket frames and sends them once back online:
    // a lost connection loses them, so this one drops what A sends while `cut`.
    let cut = false;
    await a.context().routeWebSocket(/\/collab/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        if (!cut) server.send(message);
      });
    });
    await register(a, accountA);
    const b = await person(browser, baseURL, accountB);
    const comicId = await createComic(a, 'Closed tab');
    await a.getByRole('button', { name: '2 × 2 grid' }).click();
    await invite(a, accountB.username);
    await openComic(b, comicId, 4);

    /** Draws a caption offline, then closes the tab before the connection returns. */
    const drawOfflineAndClose = async (page: Page, text: string) => {
      cut = true;
      await page.context().setOffline(true);
      await expect(connection(page)).toHaveAttribute('data-connection', 'offline');
      await placeWithText(page, 'caption', shapes(page, 'comic-panel').nth(1), text, 'caption');
      await expect(connection(page)).toHaveText(/^Offline · \d+ changes? waiting to be sent$/);
      await page.close();
      await page.context().setOffline(false);
      cut = false;
    };
    await drawOfflineAndClose(a, 'Kept in the browser');
    await expect(shapes(b, 'caption')).toHaveCount(0);

    // Opening the comic again, online, sends what the closed tab kept.
    const again = await a.context().newPage();
    await openComic(again, comicId, 4);
    await expect(shapes(b, 'caption')).toContainText('Kept in the browser');
    await expect(connection(again)).toHaveText('Saved');

    // Signing out drops what is still waiting: it never reaches the comic.
    await drawOfflineAndClose(again, 'Dropped at sign-out');
    const later = await a.context().newPage();
    await later.goto('/');
    await later.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).click();
    await expect(later.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign in' })).toBeVisible();
    expect(await later.evaluate(async () => (await indexedDB.databases()).map((db) => db.name))).not.toContain('inkwell-offline-edits');
    await later.goto('/login');
    await later.getByLabel('Email or username').fill(accountA.username);
    await later.getByLabel('Password').fill(accountA.password);
    await later.getByRole('button', { name: 'Sign in' }).click();
    // Signed in before the comic is opened: going there sooner lands on the sign-in page (seen once in CI).
    await expect(later.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' })).toBeVisible();
    await openComic(later, comicId, 4);
    await expect(connection(later)).toHaveText('Saved');
    await expect(shapes(later, 'caption')).toHaveCount(1);
    await expect(shapes(b, 'caption')).toHaveCount(1);
    await b.context().close();
  });

  test('the owner manages members and links; a demoted editor turns viewer live; a member leaves', async ({ page: a, browser, baseURL }, testInfo) => {
    test.skip(testInfo.project.name !== 'desktop', 'two browsers side by side: the desktop layout');
    const [accountA, accountB] = [newAccount('ada'), newAccount('bo')];
    await register(a, accountA);
    const b = await person(browser, baseURL, accountB);
    const comicId = await createComic(a, 'Roles');

    const sharing = a.getByRole('complementary', { name: 'Sharing' });
    await sharing.getByLabel('Username').fill('no_such_user_here');
    await sharing.getByRole('button', { name: 'Invite' }).click();
    await expect(sharing.getByRole('alert')).toBeVisible();
    await sharing.getByLabel('Username').fill(accountB.username);
    await sharing.getByRole('button', { name: 'Invite' }).click();
    await expect(sharing.getByText(`${accountB.username} joined as editor.`)).toBeVisible();

    await openComic(b, comicId, 0);
    await expect(connection(b)).toHaveText('Saved');
    await expect(b.getByTestId('tools.speech-bubble')).toBeVisible();

    // Demoted to viewer while the comic is open: B's canvas turns read-only at once.
    await sharing.getByLabel(`Role of ${accountB.username}`).selectOption('viewer');
    await expect(b.getByText('You can view this comic.')).toBeVisible();
    await expect(b.getByTestId('tools.speech-bubble')).toHaveCount(0);

    // Share links: made, then revoked.
    await sharing.getByRole('button', { name: 'Create link' }).click();
    await expect(sharing.getByLabel('Share link', { exact: true })).toHaveValue(/\/invite\//);
    await sharing.getByRole('button', { name: 'Revoke' }).click();
    await expect(sharing.getByLabel('Share link', { exact: true })).toHaveCount(0);

    // B leaves; the comic is no longer among B's comics.
    b.once('dialog', (dialog) => void dialog.accept());
    await b.getByRole('button', { name: 'Leave this comic' }).click();
    await expect(b).toHaveURL(/\/comics$/);
    await expect(b.getByRole('link', { name: /Roles/ })).toHaveCount(0);
    await a.reload();
    await expect(sharing.getByText(accountB.username)).toHaveCount(0);
    await b.context().close();
  });

  test('a comic is renamed, described and deleted from its page; the list follows', async ({ page }) => {
    await register(page, newAccount('lee'));
    const comicId = await createComic(page, 'Working title');
    await page.getByRole('button', { name: 'Details' }).click();
    const details = page.getByRole('complementary', { name: 'Details' });
    await details.getByLabel('Title').fill('Lanterns');
    await details.getByLabel('Description').fill('Chapter one.');
    await details.getByRole('button', { name: 'Save details' }).click();
    await expect(details.getByText('Saved.')).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Lanterns' })).toBeVisible();

    await page.goto('/comics');
    const card = page.getByRole('link', { name: /Lanterns/ });
    await expect(card).toContainText('Chapter one.');
    await expect(card).toContainText('Owner');
    await expect(card).toHaveAttribute('href', `/comics/${comicId}`);

    await card.click();
    await page.getByRole('button', { name: 'Details' }).click();
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.getByRole('button', { name: 'Delete comic' }).click();
    await expect(page).toHaveURL(new RegExp(`/comics/${comicId}$`));
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete comic' }).click();
    await expect(page).toHaveURL(/\/comics$/);
    await expect(page.getByRole('link', { name: /Lanterns/ })).toHaveCount(0);
  });

  test('a comic is exported from its page as a PDF and as a PNG of one page', async ({ page }) => {
    await register(page, newAccount('eve'));
    await createComic(page, 'Export me');
    await page.getByRole('button', { name: '2 × 2 grid' }).click();
    await expect(shapes(page, 'comic-panel')).toHaveCount(4);
    const menu = page.getByRole('group', { name: 'Export as' });

    // Escape closes the menu without exporting anything.
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await expect(menu).toBeVisible();
    await expect(menu).toBeInViewport({ ratio: 1 });
    await page.keyboard.press('Escape');
    await expect(menu).toBeHidden();

    const exported = async (format: 'PDF' | 'PNG') => {
      await page.getByRole('button', { name: 'Export', exact: true }).click();
      const download = page.waitForEvent('download');
      await menu.getByRole('button', { name: format, exact: true }).click();
      await expect(menu).toBeHidden();
      const file = await download;
      const bytes = await readFile((await file.path())!);
      return { name: file.suggestedFilename(), head: bytes.subarray(0, 4).toString('latin1') };
    };
    expect(await exported('PDF')).toEqual({ name: 'Export-me.pdf', head: '%PDF' });
    const png = await exported('PNG');
    expect(png.name).toMatch(/\.png$/);
    expect(png.head).toBe('\x89PNG');
  });

  test('a share link asks a signed-out visitor to sign in first', async ({ page }) => {
    await page.goto('/invite/not-a-real-token-0000');
    await expect(page.getByRole('heading', { name: 'You’re invited to a comic' })).toBeVisible();
    await page.getByRole('main').getByRole('link', { name: 'Create account' }).click();
    await expect(page).toHaveURL(/\/register\?next=%2Finvite%2Fnot-a-real-token-0000$/);
    const account = newAccount('sam');
    await page.getByLabel('Email').fill(account.email);
    await page.getByLabel('Username').fill(account.username);
    await page.getByLabel('Password').fill(account.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    // Back on the link, now signed in: this token is not a real one.
    await expect(page).toHaveURL(/\/invite\/not-a-real-token-0000$/);
    await expect(page.getByRole('alert')).toBeVisible();
  });

  test('on a phone the comic fills the screen and the sharing panel folds away', async ({ page }, testInfo) => {
    test.skip(testInfo.project.name !== 'phone', 'the folded panel is the narrow layout');
    await register(page, newAccount('kim'));
    await createComic(page, 'Pocket comic');
    const sharing = page.getByRole('complementary', { name: 'Sharing' });
    await expect(sharing).toBeHidden();
    await page.getByRole('button', { name: '2 × 2 grid' }).click();
    await expect(shapes(page, 'comic-panel')).toHaveCount(4);

    const canvas = (await page.getByTestId('comic-canvas').boundingBox())!;
    const viewport = page.viewportSize()!;
    expect(canvas.width).toBe(viewport.width);
    expect(canvas.height).toBeGreaterThan(viewport.height * 0.7);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
    // The comic's buttons are one row that scrolls sideways, not rows of buttons over the canvas.
    const tops = await page.locator('.bar .tools button:visible').evaluateAll((buttons) => buttons.map((button) => button.getBoundingClientRect().top));
    expect(tops.length).toBeGreaterThan(5);
    expect(Math.max(...tops) - Math.min(...tops)).toBeLessThan(4);

    await page.getByRole('button', { name: 'Share' }).click();
    await expect(sharing).toBeVisible();
    await expect(sharing.getByLabel('Username')).toBeInViewport();
    await sharing.getByRole('button', { name: 'Close the panel' }).click();
    await expect(sharing).toBeHidden();
  });
});
