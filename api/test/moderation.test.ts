// Moderators' actions: hiding takes a comic or picture off every public surface (and out of shared caches)
// until it is restored, removing stops republishing, every action is audited with the state before and after
// and can be undone, owners are told and may appeal once, suspended accounts read but do not write.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import { PUBLIC_CACHE, RESTRICTED_CACHE } from '../src/lib/moderation.ts';
import { type TestApp, type TestUser, createTestApp, expectError, multipartFile, registerUser, uniqueName } from './helper.ts';
import { publishedComic, storeSummary, summaryWith } from './published.ts';

let t: TestApp;
let storageDir: string;
let author: TestUser;
let reader: TestUser;
let admin: TestUser;

beforeAll(async () => {
  storageDir = await mkdtemp(join(tmpdir(), 'inkwell-moderation-'));
  t = await createTestApp({ storage: { driver: 'local', dir: storageDir } });
  author = await registerUser(t.app, 'creator', t.db);
  reader = await registerUser(t.app);
  admin = await registerUser(t.app, 'admin', t.db);
});
afterAll(async () => {
  await t.close();
  await rm(storageDir, { recursive: true, force: true });
});

function call(method: 'GET' | 'POST', url: string, user: TestUser | null, payload?: object) {
  return t.app.inject({ method, url: `/api/v1${url}`, headers: user ? { cookie: user.cookie } : {}, ...(payload && { payload }) });
}

async function upload(user: TestUser, query: string): Promise<string> {
  const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#cc3366' } }).png().toBuffer();
  const form = multipartFile(png, 'art.png');
  const response = await t.app.inject({ method: 'POST', url: `/api/v1/media?${query}`, payload: form.payload, headers: { ...form.headers, cookie: user.cookie } });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data.id;
}

async function act(targetType: string, targetId: string, action: string, extra: object = {}) {
  const response = await call('POST', '/admin/moderation', admin, { targetType, targetId, action, reason: `${action}: broke the rules`, rule: 'violence', ...extra });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data as { id: string; oldState: { state: string } | null; newState: { state: string } | null };
}

/** A public comic whose picture was uploaded into it privately (readers see it through the published comic). */
async function comicWithPicture() {
  const word = uniqueName('zebra');
  const created = await call('POST', '/comics', author, { title: `Tale ${word}` });
  const id: string = created.json().data.id;
  const mediaId = await upload(author, `comicId=${id}`);
  await storeSummary(t.db, id, summaryWith({ mediaId, bubble: word }));
  expect((await call('POST', `/comics/${id}/publish`, author, { visibility: 'public' })).statusCode).toBe(200);
  const [row] = await t.db.select({ snapshot: schema.comics.publishedSnapshot }).from(schema.comics).where(eq(schema.comics.id, id));
  return { id, mediaId, word, snapshotId: row!.snapshot!.id };
}

/** Every public surface a comic shows on, and whether `user` finds it there. */
async function surfaces(comic: Awaited<ReturnType<typeof comicWithPicture>>, user: TestUser | null) {
  const listed = async (url: string, pick: (data: { comics?: { id: string }[] } & { id: string }[]) => { id: string }[]) => {
    const response = await call('GET', url, user);
    return pick(response.json().data).some((c) => c.id === comic.id);
  };
  const image = await call('GET', `/read/${comic.id}/images/${comic.snapshotId}/page-0?w=480`, user);
  return {
    reader: (await call('GET', `/read/${comic.id}`, user)).statusCode,
    detail: (await call('GET', `/comics/${comic.id}`, user)).statusCode,
    image: image.statusCode,
    imageCache: image.headers['cache-control'],
    picture: (await call('GET', `/media/${comic.mediaId}/file`, user)).statusCode,
    export: (await call('GET', `/comics/${comic.id}/export?format=png`, user)).statusCode,
    gallery: await listed('/gallery?limit=100', (d) => d as { id: string }[]),
    search: await listed(`/gallery?q=${comic.word}`, (d) => d as { id: string }[]),
    profile: await listed(`/profiles/${author.username}?limit=100`, (d) => d.comics!),
  };
}

const SHOWN = { reader: 200, detail: 200, image: 200, imageCache: PUBLIC_CACHE, picture: 200, export: 200, gallery: true, search: true, profile: true };
const GONE = { reader: 404, detail: 404, image: 404, picture: 404, export: 404, gallery: false, search: false, profile: false };

describe('hiding and restoring', () => {
  it('takes a hidden comic off every public surface for everyone but its owner and moderators, and brings it back on restore', { timeout: 60_000 }, async () => {
    const comic = await comicWithPicture();
    for (const user of [null, reader]) expect(await surfaces(comic, user)).toEqual(SHOWN);

    await act('comic', comic.id, 'hide');
    for (const user of [null, reader]) expect(await surfaces(comic, user)).toMatchObject(GONE);
    // Its owner and moderators still read it, and no shared cache may keep its images now.
    for (const user of [author, admin]) {
      const image = await call('GET', `/read/${comic.id}/images/${comic.snapshotId}/page-0?w=480`, user);
      expect(image.statusCode).toBe(200);
      expect(image.headers['cache-control']).toBe(RESTRICTED_CACHE);
      expect((await call('GET', `/read/${comic.id}`, user)).statusCode).toBe(200);
    }
    const detail = (await call('GET', `/comics/${comic.id}`, author)).json().data;
    expect(detail.moderation).toMatchObject({ state: 'hidden', rule: 'violence', reason: 'hide: broke the rules', appeal: null });
    expect(detail.moderation.actionId).toEqual(expect.any(String));

    await act('comic', comic.id, 'restore');
    for (const user of [null, reader]) expect(await surfaces(comic, user)).toEqual(SHOWN);
    expect((await call('GET', `/comics/${comic.id}`, author)).json().data.moderation).toBeNull();
    // A warning leaves the comic visible and tells its owner why.
    const warning = await act('comic', comic.id, 'warn');
    expect((await call('GET', `/comics/${comic.id}`, author)).json().data.moderation).toEqual({
      state: 'visible',
      rule: 'violence',
      reason: 'warn: broke the rules',
      actionId: warning.id,
      appeal: null,
    });
    // Readers never see the moderation field.
    expect((await call('GET', `/comics/${comic.id}`, reader)).json().data.moderation).toBeNull();
  });

  it('stops serving a hidden public picture: public pictures are cached a minute, not for ever', async () => {
    const mediaId = await upload(author, 'privacy=public');
    const served = await call('GET', `/media/${mediaId}/file`, null);
    expect(served.statusCode).toBe(200);
    expect(served.headers['cache-control']).toBe(PUBLIC_CACHE);
    expect(served.headers['cache-control']).not.toMatch(/immutable/);

    await act('media', mediaId, 'hide');
    for (const variant of ['file', 'thumbnail', '']) {
      expectError(await call('GET', `/media/${mediaId}${variant && `/${variant}`}`, reader), 404, 'not_found');
      expectError(await call('GET', `/media/${mediaId}${variant && `/${variant}`}`, null), 404, 'not_found');
    }
    const own = await call('GET', `/media/${mediaId}/file`, author);
    expect(own.statusCode).toBe(200);
    expect(own.headers['cache-control']).toBe(RESTRICTED_CACHE);
  });

  it("no longer draws a hidden public picture in someone else's comic", async () => {
    const mediaId = await upload(reader, 'privacy=public');
    const { id } = await publishedComic(t, author);
    await storeSummary(t.db, id, summaryWith({ mediaId, bubble: 'Borrowed' }));
    const exported = async () => (await call('GET', `/comics/${id}/export?format=png`, author)).rawPayload;
    const before = await exported();
    await act('media', mediaId, 'hide');
    expect((await exported()).equals(before)).toBe(false);
    await act('media', mediaId, 'restore');
    expect((await exported()).equals(before)).toBe(true);
  });

  it("no longer draws a hidden picture of the comic's own into exports for anyone but its owner and moderators", async () => {
    const comic = await comicWithPicture();
    const exported = async (user: TestUser | null) => (await call('GET', `/comics/${comic.id}/export?format=png`, user)).rawPayload;
    const users = [null, reader, author, admin];
    const before = await Promise.all(users.map(exported));
    await act('media', comic.mediaId, 'hide');
    const hidden = await Promise.all(users.map(exported));
    // Signed out and a reader get an empty panel; the picture's owner (exporting as a member) and moderators still see it.
    expect(hidden.map((file, i) => file.equals(before[i]!))).toEqual([false, false, true, true]);
    await act('media', comic.mediaId, 'restore');
    expect((await exported(null)).equals(before[0]!)).toBe(true);
  });

  it('does not draw a hidden picture into a new publication, even its owner\'s', async () => {
    const comic = await comicWithPicture();
    const pageImage = async () => {
      const page = (await call('GET', `/read/${comic.id}`, null)).json().data.pages[0];
      return (await t.app.inject({ url: page.image.url })).rawPayload;
    };
    const before = await pageImage();
    await act('media', comic.mediaId, 'hide');
    expect((await call('POST', `/comics/${comic.id}/publish`, author, { visibility: 'public' })).statusCode).toBe(200);
    expect((await pageImage()).equals(before)).toBe(false);
  });

  it('keeps a removed comic from being published again until it is restored', async () => {
    const { id } = await publishedComic(t, author);
    await act('comic', id, 'remove');
    expectError(await call('POST', `/comics/${id}/publish`, author, { visibility: 'public' }), 409, 'comic_removed');
    // Hiding alone lets the author republish, and the comic stays hidden.
    await act('comic', id, 'restore');
    await act('comic', id, 'hide');
    expect((await call('POST', `/comics/${id}/publish`, author, { visibility: 'public' })).statusCode).toBe(200);
    expectError(await call('GET', `/read/${id}`, null), 404);
  });
});

describe('actions', () => {
  it('audits every action with the state before and after, and undoes the latest', async () => {
    const { id } = await publishedComic(t, author);
    const actions = ['hide', 'restore', 'warn', 'remove', 'dismiss'] as const;
    const states = { hide: 'hidden', restore: 'visible', warn: 'visible', remove: 'removed', dismiss: 'removed' };
    let before = 'visible';
    let last = '';
    for (const action of actions) {
      const done = await act('comic', id, action);
      expect(done).toMatchObject({ oldState: { state: before }, newState: { state: states[action] } });
      const [audited] = await t.db
        .select()
        .from(schema.auditLogs)
        .where(and(eq(schema.auditLogs.resourceId, id), eq(schema.auditLogs.action, `moderation.${action}`)));
      expect(audited).toMatchObject({ userId: admin.id, oldValues: { state: before }, newValues: { state: states[action], actionId: done.id } });
      before = states[action];
      last = done.id;
    }
    const rows = await t.db.select().from(schema.moderationActions).where(eq(schema.moderationActions.targetId, id));
    expect(rows).toHaveLength(actions.length);

    // Only the latest action can be undone; undoing the dismissal leaves the removal in place.
    const first = rows.find((r) => r.action === 'hide')!;
    expectError(await call('POST', `/admin/moderation/${first.id}/undo`, admin), 409, 'not_latest');
    expect((await call('POST', `/admin/moderation/${last}/undo`, admin)).statusCode).toBe(200);
    expectError(await call('POST', `/admin/moderation/${last}/undo`, admin), 409, 'already_undone');
    const removal = rows.find((r) => r.action === 'remove')!;
    expect((await call('POST', `/admin/moderation/${removal.id}/undo`, admin)).statusCode).toBe(200);
    const [comic] = await t.db.select({ state: schema.comics.moderationState }).from(schema.comics).where(eq(schema.comics.id, id));
    expect(comic!.state).toBe('visible');
    const undone = await t.db.select().from(schema.auditLogs).where(and(eq(schema.auditLogs.resourceId, id), eq(schema.auditLogs.action, 'moderation.undone')));
    expect(undone.map((u) => u.newValues)).toContainEqual({ state: 'visible', rule: null, reason: null });
  });

  it('tells the owner, who appeals once; the appeal reaches the queue', async () => {
    const { id } = await publishedComic(t, author);
    const hidden = await act('comic', id, 'hide');
    const notes = (await call('GET', '/notifications', author)).json();
    const note = notes.data.find((n: { payload: { actionId: string } }) => n.payload.actionId === hidden.id);
    expect(note).toMatchObject({ kind: 'moderation', readAt: null, payload: { action: 'hide', targetId: id, reason: 'hide: broke the rules', rule: 'violence' } });
    expect((await call('POST', '/notifications/read', author, { ids: [note.id] })).json().data).toEqual({ marked: 1 });

    expectError(await call('POST', '/appeals', reader, { actionId: hidden.id, message: 'not mine' }), 404);
    const appealed = await call('POST', '/appeals', author, { actionId: hidden.id, message: 'It is a history lesson' });
    expect(appealed.statusCode, appealed.body).toBe(201);
    expectError(await call('POST', '/appeals', author, { actionId: hidden.id, message: 'again' }), 409, 'already_appealed');
    expect((await call('GET', `/comics/${id}`, author)).json().data.moderation.appeal).toMatchObject({ status: 'open' });

    const queue = (await call('GET', '/admin/reports?status=open&limit=100', admin)).json().data;
    const group = queue.find((g: { target: { id: string } }) => g.target.id === id);
    expect(group.appeals).toEqual([expect.objectContaining({ actionId: hidden.id, message: 'It is a history lesson', status: 'open' })]);
    // The message is stored encrypted.
    const [raw] = await t.db.select({ message: schema.appeals.message }).from(schema.appeals).where(eq(schema.appeals.actionId, hidden.id));
    expect(raw!.message).not.toContain('history');

    // Acting on the target settles its appeal.
    await act('comic', id, 'restore');
    expect((await call('GET', '/admin/reports?status=open&limit=100', admin)).json().data.some((g: { target: { id: string } }) => g.target.id === id)).toBe(false);
  });

  it('lists newly published comics and public pictures for review until a moderator acts on them', async () => {
    const { id } = await publishedComic(t, author);
    const mediaId = await upload(author, 'privacy=public');
    const feed = async () => (await call('GET', '/admin/review-feed?limit=100', admin)).json().data.map((i: { target: { id: string } }) => i.target.id);
    expect(await feed()).toEqual(expect.arrayContaining([id, mediaId]));
    const item = (await call('GET', '/admin/review-feed?limit=100', admin)).json().data.find((i: { target: { id: string } }) => i.target.id === id);
    expect(item.target).toMatchObject({ type: 'comic', title: 'Published', owner: { username: author.username } });
    expect(item.target.imageUrl).toMatch(new RegExp(`^/api/v1/read/${id}/images/.+/cover`));
    await act('comic', id, 'dismiss');
    await act('media', mediaId, 'dismiss');
    expect(await feed()).not.toEqual(expect.arrayContaining([id]));
    expect(await feed()).not.toEqual(expect.arrayContaining([mediaId]));
  });

  it('keeps moderator notes on a target for moderators only, encrypted at rest', async () => {
    const { id } = await publishedComic(t, author);
    const added = await call('POST', `/admin/targets/comic/${id}/notes`, admin, { body: 'Checked the source: fine' });
    expect(added.statusCode, added.body).toBe(201);
    const view = (await call('GET', `/admin/targets/comic/${id}`, admin)).json().data;
    expect(view.notes).toEqual([expect.objectContaining({ body: 'Checked the source: fine', author: admin.username })]);
    const [raw] = await t.db.select({ body: schema.moderatorNotes.body }).from(schema.moderatorNotes).where(eq(schema.moderatorNotes.targetId, id));
    expect(raw!.body).toMatch(/^test:/);
    expect(raw!.body).not.toContain('Checked');
    expectError(await call('GET', `/admin/targets/comic/${id}`, author), 403, 'forbidden');
    expectError(await call('GET', `/admin/targets/comic/${crypto.randomUUID()}`, admin), 404);
  });

  it('refuses to hide a user (they are suspended instead)', async () => {
    expectError(await call('POST', '/admin/moderation', admin, { targetType: 'user', targetId: reader.id, action: 'hide', reason: 'no' }), 400, 'invalid_action');
  });
});

describe('suspension', () => {
  it('lets a suspended account sign in and read, not create, publish, generate or upload, until lifted', async () => {
    const creator = await registerUser(t.app, 'creator', t.db);
    const { id } = await publishedComic(t, creator);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const suspended = await call('POST', `/admin/users/${creator.id}/suspend`, admin, { until, reason: 'Spam wave' });
    expect(suspended.statusCode, suspended.body).toBe(200);
    const listed = (await call('GET', `/admin/users?q=${creator.username}`, admin)).json().data[0];
    expect(listed).toMatchObject({ suspendedUntil: until, suspensionReason: 'Spam wave' });

    const refused = await call('POST', '/comics', creator, { title: 'New' });
    expectError(refused, 403, 'account_suspended');
    expect(refused.json().error.details).toEqual({ until, reason: 'Spam wave' });
    expect(refused.json().error.message).toContain(until);
    expectError(await call('POST', `/comics/${id}/publish`, creator, { visibility: 'public' }), 403, 'account_suspended');
    expectError(await call('POST', '/jobs', creator, { workflow: 'txt2img-sdxl', params: { prompt: 'x' } }), 403, 'account_suspended');
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).png().toBuffer();
    const form = multipartFile(png, 'a.png');
    expectError(await t.app.inject({ method: 'POST', url: '/api/v1/media', payload: form.payload, headers: { ...form.headers, cookie: creator.cookie } }), 403, 'account_suspended');
    // Reading and their own account stay open; the live canvas opens read-only.
    expect((await call('GET', `/comics/${id}/access`, creator)).json().data.role).toBe('viewer');
    expect((await call('GET', '/comics', creator)).statusCode).toBe(200);
    expect((await call('GET', `/read/${id}`, creator)).statusCode).toBe(200);
    expect((await call('GET', '/auth/me', creator)).statusCode).toBe(200);
    expect((await call('GET', '/notifications', creator)).json().data[0]).toMatchObject({ kind: 'suspension', payload: { until, reason: 'Spam wave' } });

    expect((await call('POST', `/admin/users/${creator.id}/unsuspend`, admin)).statusCode).toBe(200);
    expect((await call('GET', `/admin/users?q=${creator.username}`, admin)).json().data[0]).toMatchObject({ suspendedUntil: null, suspensionReason: null });
    expect((await call('POST', '/comics', creator, { title: 'New' })).statusCode).toBe(201);
    expect((await call('GET', `/comics/${id}/access`, creator)).json().data.role).toBe('owner');
    const audited = await t.db.select({ action: schema.auditLogs.action }).from(schema.auditLogs).where(eq(schema.auditLogs.resourceId, creator.id));
    expect(audited.map((a) => a.action)).toEqual(expect.arrayContaining(['user.suspended', 'user.unsuspended']));
  });

  it('suspends only users below the moderator, in the future', async () => {
    const other = await registerUser(t.app, 'admin', t.db);
    const until = new Date(Date.now() + 60_000).toISOString();
    expectError(await call('POST', `/admin/users/${other.id}/suspend`, admin, { until, reason: 'x' }), 403, 'forbidden');
    expectError(await call('POST', `/admin/users/${admin.id}/suspend`, admin, { until, reason: 'x' }), 403, 'forbidden');
    expectError(await call('POST', `/admin/users/${reader.id}/suspend`, admin, { until: new Date(Date.now() - 1000).toISOString(), reason: 'x' }), 400, 'invalid_until');
  });
});

describe('stats', () => {
  it('gives the median time from first report to first action', async () => {
    const { id } = await publishedComic(t, author);
    expect((await call('POST', '/reports', reader, { targetType: 'comic', targetId: id, reason: 'spam' })).statusCode).toBe(201);
    // The report was filed 90 seconds before the action.
    await t.db.update(schema.reports).set({ createdAt: new Date(Date.now() - 90_000) }).where(eq(schema.reports.targetId, id));
    await act('comic', id, 'hide');
    const stats = (await call('GET', '/admin/moderation/stats', admin)).json().data;
    expect(stats.actedTargets).toBeGreaterThanOrEqual(1);
    expect(stats.medianSecondsToFirstAction).toBeGreaterThan(0);
    expect(stats).toHaveProperty('openReports');
  });
});
