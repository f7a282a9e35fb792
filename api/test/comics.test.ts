import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisNames } from '@inkwell/workflows';
import { type TestApp, type Listener, type TestUser, createTestApp, listenTo, registerUser, sessionIdOf } from './helper.ts';

let t: TestApp;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let stranger: TestUser;
let accessChanges: Listener<unknown>;

beforeAll(async () => {
  t = await createTestApp();
  [owner, editor, viewer, stranger] = await Promise.all([registerUser(t.app), registerUser(t.app), registerUser(t.app), registerUser(t.app)]);
  accessChanges = await listenTo(redisNames(t.config.redisPrefix).comicAccess);
});
afterAll(async () => {
  await accessChanges.close();
  await t.close();
});

function call(user: TestUser | null, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) {
  return t.app.inject({ method, url: `/api/v1${url}`, headers: user ? { cookie: user.cookie } : {}, ...(payload && { payload }) });
}

async function newComic(title = 'The Lighthouse') {
  const response = await call(owner, 'POST', '/comics', { title, description: 'A keeper and a storm' });
  expect(response.statusCode).toBe(201);
  const comic = response.json().data;
  for (const [member, role] of [[editor, 'editor'], [viewer, 'viewer']] as const) {
    expect((await call(owner, 'POST', `/comics/${comic.id}/members`, { username: member.username, role })).statusCode).toBe(201);
  }
  return comic as { id: string; title: string };
}

async function waitFor<T>(predicate: () => T | undefined): Promise<T> {
  for (let i = 0; i < 50; i++) {
    const value = predicate();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out');
}

describe('comics', () => {
  it('creates a comic owned by its author, listed in their comics and their members’ comics only', async () => {
    const comic = await newComic();
    const mine = (await call(owner, 'GET', '/comics')).json();
    expect(mine.data.find((c: { id: string }) => c.id === comic.id)).toMatchObject({ myRole: 'owner', title: 'The Lighthouse', privacy: 'private' });
    expect((await call(viewer, 'GET', '/comics')).json().data.map((c: { id: string }) => c.id)).toContain(comic.id);
    expect((await call(stranger, 'GET', '/comics')).json().data.map((c: { id: string }) => c.id)).not.toContain(comic.id);
  });

  it('hides a private comic from non-members and visitors as if it did not exist', async () => {
    const comic = await newComic();
    for (const user of [stranger, null]) {
      const response = await call(user, 'GET', `/comics/${comic.id}`);
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('not_found');
    }
    expect((await call(viewer, 'GET', `/comics/${comic.id}`)).json().data.myRole).toBe('viewer');
  });

  it('lets editors rename; viewers change nothing; privacy follows publishing only', async () => {
    const comic = await newComic();
    expect((await call(editor, 'PATCH', `/comics/${comic.id}`, { title: 'Storm Warning' })).json().data.title).toBe('Storm Warning');
    expect((await call(viewer, 'PATCH', `/comics/${comic.id}`, { title: 'Mine now' })).statusCode).toBe(403);
    expect((await call(stranger, 'PATCH', `/comics/${comic.id}`, { title: 'Mine now' })).statusCode).toBe(404);
    // Who may read a comic is chosen by publishing it (publishing.test.ts), not by editing it.
    expect((await call(owner, 'PATCH', `/comics/${comic.id}`, { privacy: 'unlisted' })).statusCode).toBe(400);
    expect((await call(owner, 'GET', `/comics/${comic.id}`)).json().data).toMatchObject({ title: 'Storm Warning', privacy: 'private', publication: null });
  });

  it('refuses an empty title and creates nothing', async () => {
    const before = (await call(owner, 'GET', '/comics')).json().pagination.total;
    const response = await call(owner, 'POST', '/comics', { title: '   ' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details[0]).toMatchObject({ path: 'title' });
    expect((await call(owner, 'GET', '/comics')).json().pagination.total).toBe(before);
  });

  it('deletes only at the owner’s word, and tells the collab-servers', async () => {
    const comic = await newComic();
    expect((await call(editor, 'DELETE', `/comics/${comic.id}`)).statusCode).toBe(403);
    expect((await call(owner, 'DELETE', `/comics/${comic.id}`)).statusCode).toBe(200);
    expect((await call(owner, 'GET', `/comics/${comic.id}`)).statusCode).toBe(404);
    await waitFor(() => accessChanges.heard.find((m) => (m as { comicId: string; deleted?: boolean }).comicId === comic.id && (m as { deleted?: boolean }).deleted));
  });
});

describe('members', () => {
  it('are listed for every member, owner first', async () => {
    const comic = await newComic();
    const members = (await call(viewer, 'GET', `/comics/${comic.id}/members`)).json().data;
    expect(members.map((m: { username: string; role: string }) => [m.username, m.role])).toEqual([
      [owner.username, 'owner'],
      [editor.username, 'editor'],
      [viewer.username, 'viewer'],
    ]);
    expect((await call(stranger, 'GET', `/comics/${comic.id}/members`)).statusCode).toBe(404);
  });

  it('are invited by username by the owner only, once', async () => {
    const comic = await newComic();
    expect((await call(editor, 'POST', `/comics/${comic.id}/members`, { username: stranger.username, role: 'editor' })).statusCode).toBe(403);
    expect((await call(owner, 'POST', `/comics/${comic.id}/members`, { username: editor.username, role: 'viewer' })).json().error.code).toBe(
      'already_member',
    );
    expect((await call(owner, 'POST', `/comics/${comic.id}/members`, { username: 'nobody-by-that-name', role: 'viewer' })).statusCode).toBe(404);
    expect((await call(owner, 'POST', `/comics/${comic.id}/members`, { username: stranger.username, role: 'owner' })).statusCode).toBe(400);
  });

  it('are demoted, removed or leave, and each change reaches the collab-servers', async () => {
    const comic = await newComic();
    const demoted = await call(owner, 'PATCH', `/comics/${comic.id}/members/${editor.id}`, { role: 'viewer' });
    expect(demoted.json().data.role).toBe('viewer');
    await waitFor(() => accessChanges.heard.find((m) => JSON.stringify(m) === JSON.stringify({ comicId: comic.id, userId: editor.id, role: 'viewer' })));

    expect((await call(owner, 'DELETE', `/comics/${comic.id}/members/${editor.id}`)).statusCode).toBe(200);
    await waitFor(() => accessChanges.heard.find((m) => JSON.stringify(m) === JSON.stringify({ comicId: comic.id, userId: editor.id, role: null })));
    expect((await call(editor, 'GET', `/comics/${comic.id}`)).statusCode).toBe(404);

    expect((await call(viewer, 'DELETE', `/comics/${comic.id}/members/${viewer.id}`)).statusCode).toBe(200);
    expect((await call(viewer, 'GET', `/comics/${comic.id}/access`)).statusCode).toBe(404);

    const ownerLeaves = await call(owner, 'DELETE', `/comics/${comic.id}/members/${owner.id}`);
    expect(ownerLeaves.json().error.code).toBe('owner_cannot_leave');
  });
});

describe('share links', () => {
  it('let whoever opens one join with its role, until revoked', async () => {
    const comic = await newComic();
    const created = await call(owner, 'POST', `/comics/${comic.id}/invites`, { role: 'editor' });
    expect(created.statusCode).toBe(201);
    const token = new URL(created.json().data.url).pathname.split('/').pop()!;
    expect((await call(editor, 'POST', `/comics/${comic.id}/invites`, { role: 'editor' })).statusCode).toBe(403);

    const joined = await call(stranger, 'POST', '/invites/accept', { token });
    expect(joined.json().data).toEqual({ comicId: comic.id, role: 'editor' });
    expect((await call(stranger, 'GET', `/comics/${comic.id}/access`)).json().data.role).toBe('editor');

    const list = (await call(owner, 'GET', `/comics/${comic.id}/invites`)).json().data;
    expect(list).toHaveLength(1);
    expect(list[0]).not.toHaveProperty('url');
    expect((await call(owner, 'DELETE', `/comics/${comic.id}/invites/${list[0].id}`)).statusCode).toBe(200);
    const late = await registerUser(t.app);
    expect((await call(late, 'POST', '/invites/accept', { token })).json().error.code).toBe('invalid_token');
    expect((await call(late, 'GET', `/comics/${comic.id}`)).statusCode).toBe(404);
  });

  it('never lower the role of someone already there, and refuse a forged secret', async () => {
    const comic = await newComic();
    const token: string = new URL((await call(owner, 'POST', `/comics/${comic.id}/invites`, { role: 'viewer' })).json().data.url).pathname.split('/').pop()!;
    expect((await call(editor, 'POST', '/invites/accept', { token })).json().data.role).toBe('editor');
    const forged = `${token.split('.')[0]}.${'a'.repeat(32)}`;
    expect((await call(stranger, 'POST', '/invites/accept', { token: forged })).statusCode).toBe(400);
  });
});

describe('live document access', () => {
  it('tells the collab-server each member’s role, refuses others, and honours short-lived tokens', async () => {
    const comic = await newComic();
    expect((await call(owner, 'GET', `/comics/${comic.id}/access`)).json().data).toEqual({
      userId: owner.id,
      username: owner.username,
      role: 'owner',
      sessionId: sessionIdOf(owner.cookie),
    });
    expect((await call(viewer, 'GET', `/comics/${comic.id}/access`)).json().data.role).toBe('viewer');
    expect((await call(stranger, 'GET', `/comics/${comic.id}/access`)).statusCode).toBe(404);
    expect((await call(null, 'GET', `/comics/${comic.id}/access`)).statusCode).toBe(401);

    const issued = await call(editor, 'POST', `/comics/${comic.id}/collab-token`);
    const token = issued.json().data.token;
    const withToken = (comicId: string, bearer: string) =>
      t.app.inject({ method: 'GET', url: `/api/v1/comics/${comicId}/access`, headers: { authorization: `Bearer ${bearer}` } });
    // The token speaks for the session that asked for it.
    expect((await withToken(comic.id, token)).json().data).toMatchObject({ userId: editor.id, role: 'editor', sessionId: sessionIdOf(editor.cookie) });
    const other = await newComic('Another');
    expect((await withToken(other.id, token)).statusCode).toBe(401);
    expect((await withToken(comic.id, `${token.split('.')[0]}.${'b'.repeat(32)}`)).statusCode).toBe(401);
    expect((await call(stranger, 'POST', `/comics/${comic.id}/collab-token`)).statusCode).toBe(404);
  });
});
