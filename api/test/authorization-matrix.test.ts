/**
 * Every route of the OpenAPI document against every kind of caller: signed out, each role, and on comic routes
 * the comic's viewer, editor and owner. What each caller must get follows from what the route declares (its
 * permission and least comic role, published as x-permission and x-comic-role) and from the roles' rules in
 * @inkwell/db and the comic service, never from a table of statuses: a route that declares too little, or
 * whose service checks less than it declares, fails here.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RoleName, roleByName } from '@inkwell/db';
import type { ComicRole } from '../src/contract.ts';
import { COMIC_ROLE_RANK } from '../src/services/comics.ts';
import { changedTables, dbState } from './db-state.ts';
import { type TestApp, type TestUser, createTestApp, errorAnswerProblem, login, randomIp, registerUser } from './helper.ts';
import { type Hints, type Operation, apiOperations, operationName, sampleObject, urlOf } from './openapi.ts';

/** Someone calling: signed out (no role), or signed in with a role, and maybe a member of the comic. */
interface Caller {
  name: string;
  role: RoleName | null;
  comicRole: ComicRole | null;
}

const SIGNED_IN_ROLES = ['user', 'creator', 'admin', 'super_admin'] as const;
const CALLERS: Caller[] = [
  { name: 'anonymous', role: null, comicRole: null },
  ...SIGNED_IN_ROLES.map((role) => ({ name: role, role, comicRole: null })),
];
// Members are plain users: whatever they may do on the comic comes from their comic role.
const MEMBERS: Caller[] = (['viewer', 'editor', 'owner'] as const).map((comicRole) => ({ name: comicRole, role: 'user', comicRole }));

/** The statuses that refuse the caller, or null when the route must let them through. */
function refusalFor(op: Operation, caller: Caller): number[] | null {
  const permissions: readonly string[] = roleByName(caller.role ?? 'guest').permissions;
  if (op.permission !== 'public' && !permissions.includes(op.permission)) return caller.role ? [403] : [401];
  if (!op.comicRole) return null;
  // A comic the caller is not a member of is hidden (404) or needs a sign-in first (401).
  if (!caller.comicRole) return caller.role ? [403, 404] : [401, 404];
  return COMIC_ROLE_RANK[caller.comicRole] < COMIC_ROLE_RANK[op.comicRole] ? [403] : null;
}

let t: TestApp;
const users = new Map<string, TestUser>();
let owner: TestUser;
let member: TestUser;
let outsider: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  for (const role of SIGNED_IN_ROLES) users.set(role, await registerUser(t.app, role, t.db));
  for (const { name } of MEMBERS) users.set(name, await registerUser(t.app));
  owner = users.get('owner')!;
  member = await registerUser(t.app);
  outsider = await registerUser(t.app);
});
afterAll(() => t.close());

/** A private, unpublished comic of its own for each case: its viewer, editor, one more member and a share link. */
async function freshComic(): Promise<Record<string, string>> {
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
  return { id: comic.id, userId: member.id, inviteId: invite.id };
}

it('no route lets through a caller that its declaration refuses, and every declared caller gets in', { timeout: 60_000 }, async () => {
  const operations = await apiOperations(t.app);
  const failures: string[] = [];
  let cases = 0;
  let refusals = 0;

  for (const op of operations) {
    // Valid requests, so that what answers is the access check and not validation.
    const hints: Hints = { username: outsider.username, title: 'Renamed', isActive: true, filename: 'renamed.png', role: 'viewer' };
    const body = op.body && sampleObject(op.body, hints);
    for (const caller of op.comicRole ? [...CALLERS, ...MEMBERS] : CALLERS) {
      const params = op.comicRole ? await freshComic() : { id: crypto.randomUUID() };
      const user = caller.role && users.get(caller.comicRole ?? caller.role)!;
      const refusal = refusalFor(op, caller);
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
      } else if (op.comicRole ? response.statusCode >= 300 : [401, 403].includes(response.statusCode) && /"code":"(unauthenticated|forbidden)"/.test(response.body)) {
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
