// Comments on a comic's canvas: who may read, write, edit, resolve and delete them; what is refused (and
// changes nothing); who is notified of mentions, replies and invitations.
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { schema } from '@inkwell/db';
import { redisNames } from '@inkwell/workflows';
import { MAX_COMMENT_REPLIES, MAX_COMMENT_THREADS } from '../src/contract.ts';
import { type TestApp, type TestUser, type Listener, createTestApp, expectError, listenTo, registerUser } from './helper.ts';

let t: TestApp;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let admin: TestUser;
/** What the API announced to the collab-servers, in order. */
let announcements: Listener<{ comicId: string; event: string; threadId: string; commentId: string }>;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, user?: TestUser, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: user ? { cookie: user.cookie } : {}, ...(payload && { payload }) });

async function ok<T = Record<string, unknown>>(method: Method, url: string, user: TestUser, payload?: object): Promise<T> {
  const response = await call(method, url, user, payload);
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.json().data as T;
}

/** A fresh comic of `owner` with `editor` and `viewer` as members. */
async function sharedComic(): Promise<string> {
  const { id } = await ok<{ id: string }>('POST', '/comics', owner, { title: 'Comments' });
  await ok('POST', `/comics/${id}/members`, owner, { username: editor.username, role: 'editor' });
  await ok('POST', `/comics/${id}/members`, owner, { username: viewer.username, role: 'viewer' });
  return id;
}

interface Thread {
  id: string;
  body: string;
  anchor: unknown;
  author: { id: string; username: string } | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  editedAt: string | null;
  replies: { id: string; body: string; author: { username: string } | null }[];
}

const onPanel = { shapeId: 'shape:panel-1' };
const startThread = (comicId: string, user: TestUser, body = 'This panel needs more contrast', anchor: object = onPanel) =>
  ok<Thread>('POST', `/comics/${comicId}/comments`, user, { body, anchor });
const reply = (comicId: string, user: TestUser, parentId: string, body: string) => ok<Thread>('POST', `/comics/${comicId}/comments`, user, { body, parentId });
const threads = (comicId: string, user: TestUser) => ok<Thread[]>('GET', `/comics/${comicId}/comments`, user);

async function notificationsOf(user: TestUser) {
  const rows = await t.db.select().from(schema.notifications).where(eq(schema.notifications.userId, user.id));
  return rows.map((row) => ({ kind: row.kind, payload: row.payload }));
}
const commentRows = (comicId: string) => t.db.select().from(schema.comments).where(eq(schema.comments.comicId, comicId));

beforeAll(async () => {
  // The comment route's own limit is tested apart; the rest must not trip the global limits.
  t = await createTestApp({ rateLimitEnabled: false });
  [owner, editor, viewer, outsider] = [await registerUser(t.app), await registerUser(t.app), await registerUser(t.app), await registerUser(t.app)];
  admin = await registerUser(t.app, 'admin', t.db);
  announcements = await listenTo(redisNames(t.config.redisPrefix).comments);
});
afterAll(async () => {
  await announcements.close();
  await t.close();
});

describe('who may comment', () => {
  it('every member, viewers included, reads and writes threads and replies; they read the same threads', async () => {
    const comicId = await sharedComic();
    const fromViewer = await startThread(comicId, viewer, 'The hero looks off-model here', { pageId: 'page:page', x: 120.5, y: -40 });
    expect(fromViewer).toMatchObject({ body: 'The hero looks off-model here', anchor: { pageId: 'page:page', x: 120.5, y: -40 }, author: { id: viewer.id, username: viewer.username }, resolvedAt: null, replies: [] });
    await reply(comicId, owner, fromViewer.id, 'Fixed it');
    const second = await reply(comicId, editor, fromViewer.id, 'Looks right now');
    expect(second.replies.map((r) => [r.author?.username, r.body])).toEqual([
      [owner.username, 'Fixed it'],
      [editor.username, 'Looks right now'],
    ]);
    await startThread(comicId, editor);
    for (const member of [owner, editor, viewer]) {
      const seen = await threads(comicId, member);
      expect(seen.map((thread) => [thread.author?.username, thread.replies.length])).toEqual([
        [viewer.username, 2],
        [editor.username, 0],
      ]);
      // One thread alone (what a canvas told of a change to it loads) is the same as in the list.
      expect(await ok<Thread>('GET', `/comics/${comicId}/comments/${fromViewer.id}`, member)).toEqual(seen[0]);
    }
    // A reply names no thread.
    expectError(await call('GET', `/comics/${comicId}/comments/${second.replies[0]!.id}`, viewer), 404, 'not_found');
  });

  it('non-members, moderators included, get 404 and signed-out callers 401; nothing is written', async () => {
    const comicId = await sharedComic();
    const thread = await startThread(comicId, owner);
    for (const stranger of [outsider, admin]) {
      expectError(await call('GET', `/comics/${comicId}/comments`, stranger), 404, 'not_found');
      expectError(await call('GET', `/comics/${comicId}/comments/${thread.id}`, stranger), 404, 'not_found');
      expectError(await call('POST', `/comics/${comicId}/comments`, stranger, { body: 'hi', anchor: onPanel }), 404, 'not_found');
      expectError(await call('POST', `/comics/${comicId}/comments`, stranger, { body: 'hi', parentId: thread.id }), 404, 'not_found');
      expectError(await call('PATCH', `/comics/${comicId}/comments/${thread.id}`, stranger, { resolved: true }), 404, 'not_found');
      expectError(await call('DELETE', `/comics/${comicId}/comments/${thread.id}`, stranger), 404, 'not_found');
    }
    expectError(await call('GET', `/comics/${comicId}/comments`), 401, 'unauthenticated');
    expectError(await call('GET', `/comics/${comicId}/comments/${thread.id}`), 401, 'unauthenticated');
    expectError(await call('POST', `/comics/${comicId}/comments`, undefined, { body: 'hi', anchor: onPanel }), 401, 'unauthenticated');
    expect(await commentRows(comicId)).toHaveLength(1);
  });

  it('a comment id of another comic is not found through this one', async () => {
    const [mine, other] = [await sharedComic(), await sharedComic()];
    const elsewhere = await startThread(other, owner);
    expectError(await call('GET', `/comics/${mine}/comments/${elsewhere.id}`, owner), 404, 'not_found');
    expectError(await call('PATCH', `/comics/${mine}/comments/${elsewhere.id}`, owner, { resolved: true }), 404, 'not_found');
    expectError(await call('DELETE', `/comics/${mine}/comments/${elsewhere.id}`, owner), 404, 'not_found');
    expectError(await call('POST', `/comics/${mine}/comments`, owner, { body: 'hi', parentId: elsewhere.id }), 400, 'invalid_parent');
    expect((await commentRows(other))[0]?.resolvedAt).toBeNull();
    expect(await commentRows(mine)).toEqual([]);
  });

  it('a suspended member reads comments but cannot post, edit or resolve', async () => {
    const comicId = await sharedComic();
    const thread = await startThread(comicId, viewer);
    const until = new Date(Date.now() + 86_400_000).toISOString();
    expect((await call('POST', `/admin/users/${viewer.id}/suspend`, admin, { until, reason: 'Spam' })).statusCode).toBe(200);
    try {
      expect(await threads(comicId, viewer)).toHaveLength(1);
      expectError(await call('POST', `/comics/${comicId}/comments`, viewer, { body: 'more spam', anchor: onPanel }), 403, 'account_suspended');
      expectError(await call('PATCH', `/comics/${comicId}/comments/${thread.id}`, viewer, { body: 'edited spam' }), 403, 'account_suspended');
      expectError(await call('PATCH', `/comics/${comicId}/comments/${thread.id}`, viewer, { resolved: true }), 403, 'account_suspended');
      expect((await commentRows(comicId)).map((row) => [row.body, row.resolvedAt])).toEqual([['This panel needs more contrast', null]]);
    } finally {
      await call('POST', `/admin/users/${viewer.id}/unsuspend`, admin);
    }
  });
});

describe('what a comment may be', () => {
  it('its text is trimmed and kept as plain text, markup and all', async () => {
    const comicId = await sharedComic();
    const thread = await startThread(comicId, viewer, '  <b>bold?</b> <script>alert(1)</script>\n  ');
    expect(thread.body).toBe('<b>bold?</b> <script>alert(1)</script>');
  });

  it.each([
    ['an empty body', { body: '', anchor: onPanel }],
    ['a body of spaces', { body: '  \n ', anchor: onPanel }],
    ['a body over 4000 characters', { body: 'x'.repeat(4001), anchor: onPanel }],
    ['a NUL in the body', { body: 'a\u0000b', anchor: onPanel }],
    ['no anchor and no parent', { body: 'where?' }],
    ['both an anchor and a parent', { body: 'both', anchor: onPanel, parentId: crypto.randomUUID() }],
    ['a shape id that is not one', { body: 'hi', anchor: { shapeId: 'panel-1' } }],
    ['a page point without y', { body: 'hi', anchor: { pageId: 'page:page', x: 1 } }],
    ['a page point far off any page', { body: 'hi', anchor: { pageId: 'page:page', x: 1e9, y: 0 } }],
    ['a shape id and a point at once', { body: 'hi', anchor: { shapeId: 'shape:a', pageId: 'page:page', x: 1, y: 1 } }],
    ['a parent that is not a UUID', { body: 'hi', parentId: 'abc' }],
    ['an unknown field', { body: 'hi', anchor: onPanel, html: '<b>' }],
  ])('%s is refused with 400 and nothing is stored', async (_what, payload) => {
    const comicId = await sharedComic();
    const response = await call('POST', `/comics/${comicId}/comments`, viewer, payload);
    expect(response.statusCode, response.body).toBe(400);
    expectError(response, 400);
    expect(await commentRows(comicId)).toEqual([]);
  });

  it('a body of exactly 4000 characters is kept', async () => {
    const comicId = await sharedComic();
    expect((await startThread(comicId, viewer, 'y'.repeat(4000))).body).toHaveLength(4000);
  });

  it('a reply to a reply joins the same thread, without an anchor of its own', async () => {
    const comicId = await sharedComic();
    const thread = await startThread(comicId, owner);
    const first = await reply(comicId, editor, thread.id, 'first');
    const second = await reply(comicId, viewer, first.replies[0]!.id, 'second');
    expect(second.id).toBe(thread.id);
    expect(second.replies.map((r) => r.body)).toEqual(['first', 'second']);
    expect((await commentRows(comicId)).filter((row) => row.parentId === thread.id).map((row) => row.anchor)).toEqual([null, null]);
  });

  it('a comment on a shape that is no longer on the canvas stays readable with its anchor and replies', async () => {
    const comicId = await sharedComic();
    // The API keeps a comment whatever happens to its shape: the canvas shows it as on a deleted shape.
    const thread = await startThread(comicId, viewer, 'On a bubble that will be deleted', { shapeId: 'shape:gone' });
    await reply(comicId, owner, thread.id, 'Deleting that bubble');
    const [seen] = await threads(comicId, editor);
    expect(seen).toMatchObject({ body: 'On a bubble that will be deleted', anchor: { shapeId: 'shape:gone' }, replies: [{ body: 'Deleting that bubble' }] });
  });
});

describe('editing, resolving and deleting', () => {
  it('only its author edits a comment; the edit is marked', async () => {
    const comicId = await sharedComic();
    const thread = await startThread(comicId, viewer, 'Typo in pnael 2');
    for (const other of [owner, editor]) {
      expectError(await call('PATCH', `/comics/${comicId}/comments/${thread.id}`, other, { body: 'Rewritten by someone else' }), 403, 'forbidden');
    }
    expect((await commentRows(comicId))[0]).toMatchObject({ body: 'Typo in pnael 2', editedAt: null });
    const edited = await ok<Thread>('PATCH', `/comics/${comicId}/comments/${thread.id}`, viewer, { body: 'Typo in panel 2' });
    expect(edited.body).toBe('Typo in panel 2');
    expect(edited.editedAt).not.toBeNull();
  });

  it.each([
    ['neither body nor resolved', {}],
    ['both body and resolved', { body: 'x', resolved: true }],
    ['an empty body', { body: ' ' }],
    ['resolved as a string', { resolved: 'yes' }],
  ])('an update with %s is refused with 400', async (_what, payload) => {
    const comicId = await sharedComic();
    const thread = await startThread(comicId, viewer);
    expectError(await call('PATCH', `/comics/${comicId}/comments/${thread.id}`, viewer, payload), 400);
    expect((await commentRows(comicId))[0]).toMatchObject({ body: 'This panel needs more contrast', resolvedAt: null, editedAt: null });
  });

  it('any member resolves a thread (through any of its comments) and reopens it', async () => {
    const comicId = await sharedComic();
    const thread = await startThread(comicId, owner);
    const answered = await reply(comicId, editor, thread.id, 'Done');
    const resolved = await ok<Thread>('PATCH', `/comics/${comicId}/comments/${answered.replies[0]!.id}`, viewer, { resolved: true });
    expect(resolved).toMatchObject({ id: thread.id, resolvedBy: viewer.username });
    expect(resolved.resolvedAt).not.toBeNull();
    // Resolving again keeps who resolved it first.
    expect(await ok<Thread>('PATCH', `/comics/${comicId}/comments/${thread.id}`, owner, { resolved: true })).toMatchObject({ resolvedBy: viewer.username });
    const [listed] = await threads(comicId, editor);
    expect(listed).toMatchObject({ resolvedBy: viewer.username });
    expect(await ok<Thread>('PATCH', `/comics/${comicId}/comments/${thread.id}`, editor, { resolved: false })).toMatchObject({ resolvedAt: null, resolvedBy: null });
  });

  it('its author or the owner deletes a comment, no one else; a thread goes with its replies', async () => {
    const comicId = await sharedComic();
    const thread = await startThread(comicId, viewer);
    const withReply = await reply(comicId, editor, thread.id, 'An editor’s reply');
    const replyId = withReply.replies[0]!.id;
    expectError(await call('DELETE', `/comics/${comicId}/comments/${thread.id}`, editor), 403, 'forbidden');
    expectError(await call('DELETE', `/comics/${comicId}/comments/${replyId}`, viewer), 403, 'forbidden');
    expect(await commentRows(comicId)).toHaveLength(2);

    await ok('DELETE', `/comics/${comicId}/comments/${replyId}`, editor);
    expect((await threads(comicId, owner))[0]!.replies).toEqual([]);

    await reply(comicId, editor, thread.id, 'Another');
    const byOwner = await startThread(comicId, editor, 'Owner will delete this');
    await ok('DELETE', `/comics/${comicId}/comments/${byOwner.id}`, owner);
    await ok('DELETE', `/comics/${comicId}/comments/${thread.id}`, viewer);
    expect(await commentRows(comicId)).toEqual([]);
    expectError(await call('GET', `/comics/${comicId}/comments/${thread.id}`, viewer), 404, 'not_found');
    expectError(await call('DELETE', `/comics/${comicId}/comments/${thread.id}`, viewer), 404, 'not_found');
  });
});

describe('notifications', () => {
  it('an @mention notifies the members named, once, and never the writer or someone outside the comic', async () => {
    const comicId = await sharedComic();
    const before = await notificationsOf(outsider);
    const thread = await startThread(comicId, owner, `@${viewer.username.toUpperCase()} and @${editor.username}, see this. Also @${viewer.username}, @${outsider.username}, @${owner.username} and mail@${editor.username}.com`);
    const payload = { comicId, comicTitle: 'Comments', threadId: thread.id, commentId: thread.id, by: owner.username };
    for (const member of [viewer, editor]) {
      expect((await notificationsOf(member)).filter((n) => n.kind === 'mention')).toEqual([{ kind: 'mention', payload: expect.objectContaining(payload) }]);
    }
    expect(await notificationsOf(outsider)).toEqual(before);
    expect((await notificationsOf(owner)).filter((n) => n.kind === 'mention')).toEqual([]);
  });

  it('a reply notifies the thread’s author and earlier participants (those mentioned as a mention only), not the replier', async () => {
    const comicId = await sharedComic();
    const kinds = async (user: TestUser) => (await notificationsOf(user)).filter((n) => n.payload.comicId === comicId && n.kind !== 'invitation').map((n) => n.kind);
    const thread = await startThread(comicId, viewer, 'Should the sky be darker?');
    await reply(comicId, editor, thread.id, 'Maybe');
    expect(await kinds(viewer)).toEqual(['reply']);
    expect(await kinds(editor)).toEqual([]);

    const third = await reply(comicId, owner, thread.id, `Yes, @${editor.username} will do it`);
    expect(await kinds(viewer)).toEqual(['reply', 'reply']);
    expect(await kinds(editor)).toEqual(['mention']);
    expect(await kinds(owner)).toEqual([]);
    // Rows come back in no particular order: the one about the owner's reply is found by its comment.
    const latest = third.replies.at(-1)!.id;
    const about = (await notificationsOf(viewer)).find((n) => n.kind === 'reply' && n.payload.commentId === latest);
    expect(about?.payload).toMatchObject({ comicId, threadId: thread.id, commentId: latest, by: owner.username, excerpt: `Yes, @${editor.username} will do it` });
  });

  it('an edit that adds a mention notifies only the newly mentioned', async () => {
    const comicId = await sharedComic();
    const thread = await startThread(comicId, owner, `Hi @${viewer.username}`);
    await ok('PATCH', `/comics/${comicId}/comments/${thread.id}`, owner, { body: `Hi @${viewer.username} and @${editor.username}` });
    const mentions = async (user: TestUser) => (await notificationsOf(user)).filter((n) => n.kind === 'mention' && n.payload.comicId === comicId).length;
    expect(await mentions(viewer)).toBe(1);
    expect(await mentions(editor)).toBe(1);
  });

  it('someone added to a comic, or joining through a share link, is told so; the unread ones are counted', async () => {
    const invitee = await registerUser(t.app);
    const comicId = await sharedComic();
    await ok('POST', `/comics/${comicId}/members`, owner, { username: invitee.username, role: 'editor' });
    const other = await sharedComic();
    const invite = await ok<{ url: string }>('POST', `/comics/${other}/invites`, owner, { role: 'viewer' });
    await ok('POST', '/invites/accept', invitee, { token: invite.url.split('/invite/')[1] });
    const invitations = (await notificationsOf(invitee)).filter((n) => n.kind === 'invitation').map((n) => n.payload);
    expect(invitations).toEqual(
      expect.arrayContaining([
        { comicId, comicTitle: 'Comments', role: 'editor', by: owner.username },
        { comicId: other, comicTitle: 'Comments', role: 'viewer', by: owner.username },
      ]),
    );

    const unread = await call('GET', '/notifications?unread=true&limit=1', invitee);
    expect(unread.json().pagination.total).toBe(2);
    await ok('POST', '/notifications/read', invitee, {});
    expect((await call('GET', '/notifications?unread=true', invitee)).json()).toMatchObject({ data: [], pagination: { total: 0 } });
    expect((await call('GET', '/notifications', invitee)).json().pagination.total).toBe(2);
  });
});

describe('how many comments a comic holds', () => {
  /** `n` threads by `owner` written straight to the database (posting hundreds would take long); their ids, oldest first. */
  async function insertThreads(comicId: string, n: number): Promise<string[]> {
    const base = Date.now() - 86_400_000;
    const rows = await t.db
      .insert(schema.comments)
      .values(Array.from({ length: n }, (_, i) => ({ comicId, userId: owner.id, body: `Old thread ${i}`, anchor: onPanel, createdAt: new Date(base + i) })))
      .returning({ id: schema.comments.id });
    return rows.map((row) => row.id);
  }
  async function insertReplies(comicId: string, threadId: string, n: number): Promise<void> {
    const base = Date.now() - 3_600_000;
    await t.db.insert(schema.comments).values(Array.from({ length: n }, (_, i) => ({ comicId, userId: editor.id, parentId: threadId, body: `Old reply ${i}`, createdAt: new Date(base + i) })));
  }
  const threadCount = async (comicId: string) => (await t.db.select().from(schema.comments).where(and(eq(schema.comments.comicId, comicId), isNull(schema.comments.parentId)))).length;
  const replyCount = async (threadId: string) => (await t.db.select().from(schema.comments).where(eq(schema.comments.parentId, threadId))).length;
  const heardAbout = (comicId: string) => announcements.heard.filter((change) => change.comicId === comicId);
  const mentionsOf = async (user: TestUser, comicId: string) => (await notificationsOf(user)).filter((n) => n.kind === 'mention' && n.payload.comicId === comicId);
  const post = (comicId: string, user: TestUser, payload: object) => call('POST', `/comics/${comicId}/comments`, user, payload);

  it(`a comic holds at most ${MAX_COMMENT_THREADS} threads: one more is refused with 409 and changes nothing, until one is deleted`, async () => {
    const comicId = await sharedComic();
    const [oldest] = await insertThreads(comicId, MAX_COMMENT_THREADS - 1);
    const last = await startThread(comicId, viewer, 'The last one that fits');
    expect(await threadCount(comicId)).toBe(MAX_COMMENT_THREADS);

    const refused = await post(comicId, viewer, { body: `One too many, @${editor.username}`, anchor: onPanel });
    expectError(refused, 409, 'too_many_comments');
    expect(refused.json().error.message).toBe(
      `This comic has ${MAX_COMMENT_THREADS} comment threads, the most it can hold: delete old threads (resolved ones first), then comment again`,
    );
    expect(await threadCount(comicId)).toBe(MAX_COMMENT_THREADS);
    expect(await mentionsOf(editor, comicId)).toEqual([]);
    // Replies do not count as threads: a full comic still takes them.
    const answered = await reply(comicId, owner, last.id, 'Still room for replies');
    // Announcements come in the order they were made: once the reply's is heard, a refused post's would have been too.
    await vi.waitFor(() => expect(heardAbout(comicId).map((change) => change.commentId)).toContain(answered.replies[0]!.id));
    expect(heardAbout(comicId).map((change) => change.commentId)).toEqual([last.id, answered.replies[0]!.id]);

    await ok('DELETE', `/comics/${comicId}/comments/${oldest}`, owner);
    const again = await startThread(comicId, viewer, 'Room again');
    expect(again.body).toBe('Room again');
    expect(await threadCount(comicId)).toBe(MAX_COMMENT_THREADS);
    expectError(await post(comicId, owner, { body: 'And one too many again', anchor: onPanel }), 409, 'too_many_comments');
  });

  it(`a thread holds at most ${MAX_COMMENT_REPLIES} replies; another thread still takes replies`, async () => {
    const comicId = await sharedComic();
    const full = await startThread(comicId, owner, 'A long discussion');
    const other = await startThread(comicId, owner, 'A quiet one');
    await insertReplies(comicId, full.id, MAX_COMMENT_REPLIES - 1);
    const last = await reply(comicId, viewer, full.id, 'The last reply that fits');
    expect(last.replies).toHaveLength(MAX_COMMENT_REPLIES);

    const refused = await post(comicId, viewer, { body: `One reply too many, @${editor.username}`, parentId: full.id });
    expectError(refused, 409, 'too_many_replies');
    expect(refused.json().error.message).toContain(`${MAX_COMMENT_REPLIES} replies`);
    expect(refused.json().error.message).toContain('start a new thread');
    // A reply to a reply joins the same thread, so it is refused too.
    expectError(await post(comicId, editor, { body: 'Through a reply', parentId: last.replies.at(-1)!.id }), 409, 'too_many_replies');
    expect(await replyCount(full.id)).toBe(MAX_COMMENT_REPLIES);
    expect(await mentionsOf(editor, comicId)).toEqual([]);

    const elsewhere = await reply(comicId, viewer, other.id, 'This thread has room');
    expect(elsewhere.replies.map((r) => r.body)).toEqual(['This thread has room']);
    await vi.waitFor(() => expect(heardAbout(comicId).map((change) => change.commentId)).toContain(elsewhere.replies[0]!.id));
    expect(heardAbout(comicId).map((change) => change.commentId)).toEqual([full.id, other.id, last.replies.at(-1)!.id, elsewhere.replies[0]!.id]);

    await ok('DELETE', `/comics/${comicId}/comments/${last.replies.at(-1)!.id}`, viewer);
    expect((await reply(comicId, editor, full.id, 'Room again')).replies).toHaveLength(MAX_COMMENT_REPLIES);
  });

  it('two threads posted at once when one fits: one is stored, the other refused', async () => {
    const comicId = await sharedComic();
    await insertThreads(comicId, MAX_COMMENT_THREADS - 1);
    const both = await Promise.all([post(comicId, viewer, { body: 'Mine', anchor: onPanel }), post(comicId, editor, { body: 'Theirs', anchor: onPanel })]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expectError(both.find((r) => r.statusCode === 409)!, 409, 'too_many_comments');
    expect(await threadCount(comicId)).toBe(MAX_COMMENT_THREADS);
  });

  it('two replies posted at once when one fits: one is stored, the other refused', async () => {
    const comicId = await sharedComic();
    const thread = await startThread(comicId, owner);
    await insertReplies(comicId, thread.id, MAX_COMMENT_REPLIES - 1);
    const both = await Promise.all([post(comicId, viewer, { body: 'Mine', parentId: thread.id }), post(comicId, editor, { body: 'Theirs', parentId: thread.id })]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expectError(both.find((r) => r.statusCode === 409)!, 409, 'too_many_replies');
    expect(await replyCount(thread.id)).toBe(MAX_COMMENT_REPLIES);
  });
});

describe('the rate limit', () => {
  it('refuses a flood of comments from one person with 429, and the rest are stored', async () => {
    const limited = await createTestApp();
    try {
      const user = await registerUser(limited.app);
      const comic = (await limited.app.inject({ method: 'POST', url: '/api/v1/comics', headers: { cookie: user.cookie }, payload: { title: 'Flood' } })).json().data;
      const statuses: number[] = [];
      for (let i = 0; i < 32; i++) {
        const response = await limited.app.inject({ method: 'POST', url: `/api/v1/comics/${comic.id}/comments`, headers: { cookie: user.cookie }, payload: { body: `spam ${i}`, anchor: onPanel } });
        statuses.push(response.statusCode);
      }
      expect(statuses.filter((s) => s === 201)).toHaveLength(30);
      expect(statuses.slice(30)).toEqual([429, 429]);
      const stored = await limited.db.select().from(schema.comments).where(and(eq(schema.comments.comicId, comic.id)));
      expect(stored).toHaveLength(30);
    } finally {
      await limited.close();
    }
  });
});
