/**
 * Every route of the OpenAPI document against every kind of caller: signed out, each role, on comic routes the
 * comic's viewer, editor and owner, and on routes about one person's own things (a picture, a job, a session)
 * their owner. What each caller must get follows from what the route declares (its permission and least comic
 * role, published as x-permission and x-comic-role), from the roles' rules in @inkwell/db and the comic
 * service, and from one rule for own things (private to their owner), never from a table of statuses: a route
 * that declares too little, or whose service checks less than it declares, fails here.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RoleName, roleByName, schema } from '@inkwell/db';
import type { ComicRole } from '../src/contract.ts';
import { COMIC_ROLE_RANK } from '../src/services/comics.ts';
import { changedTables, dbState } from './db-state.ts';
import { type TestApp, type TestUser, createTestAppWithOwnDatabase, errorAnswerProblem, login, multipartFile, randomIp, registerUser, sessionIdOf } from './helper.ts';
import { type Hints, type Operation, apiOperations, operationName, sampleObject, urlOf } from './openapi.ts';
import { publishedComic } from './published.ts';

/** Someone calling: signed out (no role), or signed in with a role, maybe a member of the comic or the owner of the thing. */
interface Caller {
  name: string;
  role: RoleName | null;
  comicRole: ComicRole | null;
  owner?: true;
}

const SIGNED_IN_ROLES = ['user', 'creator', 'admin', 'super_admin'] as const;
const CALLERS: Caller[] = [
  { name: 'anonymous', role: null, comicRole: null },
  ...SIGNED_IN_ROLES.map((role) => ({ name: role, role, comicRole: null })),
];
// Members are plain users: whatever they may do on the comic comes from their comic role.
const MEMBERS: Caller[] = (['viewer', 'editor', 'owner'] as const).map((comicRole) => ({ name: comicRole, role: 'user', comicRole }));
const THING_OWNER: Caller = { name: 'its owner', role: 'user', comicRole: null, owner: true };

/**
 * The statuses that refuse the caller, or null when the route must let them through. `ownThing`: the route's
 * `{id}` names one person's private thing, which no one else may see or touch.
 */
function refusalFor(op: Operation, caller: Caller, ownThing: boolean): number[] | null {
  const permissions: readonly string[] = roleByName(caller.role ?? 'guest').permissions;
  if (op.permission !== 'public' && !permissions.includes(op.permission)) return caller.role ? [403] : [401];
  // What the caller may not see is hidden (404) or needs a sign-in first (401).
  const hidden = caller.role ? [403, 404] : [401, 404];
  if (op.comicRole) {
    if (!caller.comicRole) return hidden;
    return COMIC_ROLE_RANK[caller.comicRole] < COMIC_ROLE_RANK[op.comicRole] ? [403] : null;
  }
  return ownThing && !caller.owner ? hidden : null;
}

let t: TestApp;
let storageDir: string;
const users = new Map<string, TestUser>();
let owner: TestUser;
let member: TestUser;
let outsider: TestUser;
let publisher: TestUser;
let ownersComicId: string;
const OWNERS_PANEL = 'shape:panel1';
/** A public picture of the owner's: any member may make it a character's reference. */
let referencePicture: string;

beforeAll(async () => {
  storageDir = await mkdtemp(join(tmpdir(), 'inkwell-matrix-'));
  // Rate limits off: the comic's owner sets up a fresh comic for every case, hundreds a minute.
  t = await createTestAppWithOwnDatabase({ storage: { driver: 'local', dir: storageDir }, rateLimitEnabled: false });
  for (const role of SIGNED_IN_ROLES) users.set(role, await registerUser(t.app, role, t.db));
  for (const { name } of [...MEMBERS, THING_OWNER]) users.set(name, await registerUser(t.app));
  owner = users.get('owner')!;
  member = await registerUser(t.app);
  outsider = await registerUser(t.app);
  publisher = await registerUser(t.app, 'creator', t.db);
  // A comic of the owner of things, with one panel, for the route that puts their picture in a comic's panel.
  const thingOwner = users.get(THING_OWNER.name)!;
  const comic = await t.app.inject({ method: 'POST', url: '/api/v1/comics', payload: { title: 'Own things' }, headers: { cookie: thingOwner.cookie } });
  ownersComicId = comic.json().data.id;
  const panel = { id: OWNERS_PANEL, x: 0, y: 0, w: 100, h: 100, images: [], text: [], art: [], lettering: [] };
  await t.db.update(schema.comics).set({ panels: { pages: [{ id: 'page:1', name: 'Page 1', bounds: null, panels: [panel] }] } }).where(eq(schema.comics.id, ownersComicId));
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#0a0' } }).png().toBuffer();
  const picture = multipartFile(png, 'reference.png');
  const uploaded = await t.app.inject({ method: 'POST', url: '/api/v1/media?privacy=public', payload: picture.payload, headers: { ...picture.headers, cookie: owner.cookie } });
  referencePicture = uploaded.json().data.id;
});
afterAll(async () => {
  await t.close();
  await rm(storageDir, { recursive: true, force: true });
});

/** Routes whose `{id}` names one person's own thing, and how to make a private one of theirs, fresh for each case. */
const OWN_THINGS: [prefix: string, make: (owner: TestUser) => Promise<string>][] = [
  [
    '/api/v1/media/{id}',
    async (user) => {
      const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).png().toBuffer();
      const form = multipartFile(png, 'mine.png');
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/media', payload: form.payload, headers: { ...form.headers, cookie: user.cookie } });
      return response.json().data.id;
    },
  ],
  [
    '/api/v1/jobs/{id}',
    async (user) => {
      // Finished, so that its event stream ends at once.
      const values = { userId: user.id, type: 'image', workflow: 'txt2img-sdxl', status: 'completed', progress: 100, parameters: {} };
      const [row] = await t.db.insert(schema.jobs).values(values).returning({ id: schema.jobs.id });
      return row!.id;
    },
  ],
  ['/api/v1/auth/sessions/{id}', async (user) => sessionIdOf(await login(t.app, user.username, user.password))],
];
const ownThingOf = (op: Operation) => OWN_THINGS.find(([prefix]) => op.path.startsWith(prefix))?.[1];
/** Routes whose `{id}` is a published comic: whoever may read gets in, so each case gets a fresh published one. */
const readsPublished = (op: Operation) => op.path.startsWith('/api/v1/read/{id}');

/**
 * A private, unpublished comic of its own for each case: its viewer, editor, one more member, a share link and
 * a comment thread, written by `author` (the member calling, for whom their own comment is theirs to edit or delete).
 */
async function freshComic(author: TestUser = owner): Promise<Record<string, string>> {
  const as = async (url: string, payload: object) => {
    const response = await t.app.inject({ method: 'POST', url, payload, headers: { cookie: owner.cookie } });
    if (response.statusCode !== 201) throw new Error(`fixture ${url}: ${response.body}`);
    return response.json().data;
  };
  const comic = await as('/api/v1/comics', { title: 'Matrix' });
  for (const [name, role] of [['viewer', 'viewer'], ['editor', 'editor']] as const) {
    await as(`/api/v1/comics/${comic.id}/members`, { username: users.get(name)!.username, role });
  }
  await as(`/api/v1/comics/${comic.id}/members`, { username: member.username, role: 'viewer' });
  const invite = await as(`/api/v1/comics/${comic.id}/invites`, { role: 'viewer' });
  const thread = await t.app.inject({ method: 'POST', url: `/api/v1/comics/${comic.id}/comments`, payload: { body: 'Matrix', anchor: { shapeId: 'shape:matrix' } }, headers: { cookie: author.cookie } });
  if (thread.statusCode !== 201) throw new Error(`fixture comment: ${thread.body}`);
  // One page of one panel, stored, for the page script route.
  const panel = { id: 'shape:p', x: 0, y: 0, w: 100, h: 100, images: [], text: [], art: [], lettering: [] };
  await t.db.update(schema.comics).set({ panels: { pages: [{ id: 'page:1', name: 'Page 1', bounds: null, panels: [panel] }] } }).where(eq(schema.comics.id, comic.id));
  const [version] = await t.db.insert(schema.comicVersions).values({ comicId: comic.id, kind: 'named', name: 'Matrix', state: Buffer.from([0, 0]), summary: { pages: [] } }).returning();
  return { id: comic.id, userId: member.id, inviteId: invite.id, commentId: thread.json().data.id, pageId: 'page:1', versionId: version!.id, ...(await characterAndJob(comic.id)) };
}

/** A character of the comic, and a job that drew one of its panels, for the routes about them. */
async function characterAndJob(comicId: string): Promise<Record<string, string>> {
  const response = await t.app.inject({ method: 'POST', url: `/api/v1/comics/${comicId}/characters`, payload: { name: 'Fixture', referenceMediaIds: [referencePicture] }, headers: { cookie: owner.cookie } });
  if (response.statusCode !== 201) throw new Error(`fixture character: ${response.body}`);
  // Made days ago: hundreds of these must not use up the owner's generations of today (the page script route queues).
  const createdAt = new Date(Date.now() - 3 * 24 * 3600_000);
  const values = { userId: owner.id, type: 'comic', workflow: 'comic-panel', status: 'completed', progress: 100, parameters: {}, targetComicId: comicId, targetPanelId: 'shape:p', createdAt };
  const [job] = await t.db.insert(schema.jobs).values(values).returning({ id: schema.jobs.id });
  return { characterId: response.json().data.id, jobId: job!.id };
}

it('no route lets through a caller that its declaration refuses, and every declared caller gets in', { timeout: 240_000 }, async () => {
  const operations = await apiOperations(t.app);
  const failures: string[] = [];
  let cases = 0;
  let refusals = 0;

  for (const op of operations) {
    // Valid requests, so that what answers is the access check and not validation.
    const hints: Hints = {
      username: outsider.username,
      title: 'Renamed',
      isActive: true,
      filename: 'renamed.png',
      role: 'viewer',
      referenceMediaIds: [referencePicture],
      description: 'Hinted',
      until: new Date(Date.now() + 3_600_000).toISOString(),
      anchor: { shapeId: 'shape:matrix' },
      resolved: true,
      comicId: ownersComicId,
      panelId: OWNERS_PANEL,
      script: 'PANEL 1\nRain on the glass.',
    };
    const body = op.body && sampleObject(op.body, hints);
    const makeOwnThing = ownThingOf(op);
    const userMayCall = op.permission === 'public' || roleByName('user').permissions.includes(op.permission);
    const published = readsPublished(op);
    if (op.path.includes('{id}') && !op.comicRole && !makeOwnThing && !published && userMayCall) {
      failures.push(`${operationName(op)}: the matrix does not know whose {id} is: add it to OWN_THINGS`);
    }
    const callers = op.comicRole ? [...CALLERS, ...MEMBERS] : makeOwnThing ? [...CALLERS, THING_OWNER] : CALLERS;
    for (const caller of callers) {
      const params = op.comicRole
        ? await freshComic(caller.comicRole ? users.get(caller.comicRole) : owner)
        : published
          ? { ...(await publishedComic(t, publisher)), image: 'cover' }
          : {
              id: makeOwnThing ? await makeOwnThing(users.get(THING_OWNER.name)!) : crypto.randomUUID(),
              username: publisher.username,
              type: 'comic',
              actionId: crypto.randomUUID(),
            };
      const user = caller.role && users.get(caller.owner ? THING_OWNER.name : (caller.comicRole ?? caller.role))!;
      const refusal = refusalFor(op, caller, Boolean(makeOwnThing));
      const before = refusal && (await dbState(t.db));
      const response: LightMyRequestResponse = await t.app.inject({
        method: op.method as 'GET',
        url: urlOf(op, params),
        headers: user ? { cookie: user.cookie } : {},
        ...(body && { payload: body }),
        remoteAddress: randomIp(),
      });
      await t.app.background.settled();
      cases++;
      const where = `${operationName(op)} as ${caller.name}`;
      const problem = errorAnswerProblem(response);
      if (problem) failures.push(`${where}: ${problem}`);
      if (refusal) {
        refusals++;
        if (!refusal.includes(response.statusCode)) failures.push(`${where}: expected ${refusal.join(' or ')}, got ${response.statusCode} ${response.body.slice(0, 160)}`);
        const changed = changedTables(before!, await dbState(t.db));
        if (changed.length) failures.push(`${where}: refused, yet changed ${changed.join(', ')}`);
      } else if (
        op.comicRole
          ? response.statusCode >= 300
          : ((makeOwnThing || published) && response.statusCode === 404) || ([401, 403].includes(response.statusCode) && /"code":"(unauthenticated|forbidden)"/.test(response.body))
      ) {
        failures.push(`${where}: must be let in, got ${response.statusCode} ${response.body.slice(0, 160)}`);
      }
      // The call may have ended the caller's session (sign-out, end sessions): start a fresh one.
      if (user && response.statusCode < 300 && op.method !== 'GET') user.cookie = await login(t.app, user.username, user.password);
    }
  }

  console.log(`Authorization matrix: ${cases} cases over ${operations.length} routes, ${refusals} must be refused`);
  expect(failures).toEqual([]);
});

it('the declarations follow the site’s rules: the admin area is for admins, and only signing in and out is open to write', async () => {
  const creator: readonly string[] = roleByName('creator').permissions;
  const offenders = (await apiOperations(t.app)).filter(
    (op) =>
      (op.path.startsWith('/api/v1/admin/') && (op.permission === 'public' || creator.includes(op.permission))) ||
      (op.method !== 'GET' && op.permission === 'public' && !op.path.startsWith('/api/v1/auth/')),
  );
  expect(offenders.map(operationName)).toEqual([]);
});
