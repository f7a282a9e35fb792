/**
 * Every route of the OpenAPI document, signed out and signed in, with malformed input of every kind: no
 * answer is a 5xx, every refusal has the standard error shape and tells nothing about the server's insides,
 * and a refused request changes nothing in the database. FUZZ_SEED picks other values (the default is fixed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import { changedTables, dbState } from './db-state.ts';
import { type TestApp, type TestUser, createTestAppWithOwnDatabase, errorAnswerProblem, login, multipartFile, randomIp, registerUser, sessionIdOf } from './helper.ts';
import { type ValidInput, malformedRequests, seededRandom } from './malformed-requests.ts';
import { type Operation, apiOperations, operationName } from './openapi.ts';
import { publishedComic } from './published.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_203);

let t: TestApp;
let storageDir: string;
let caller: TestUser;
let valid: (op: Operation) => ValidInput;

beforeAll(async () => {
  storageDir = await mkdtemp(join(tmpdir(), 'inkwell-fuzz-'));
  // Behind a proxy, as in production, so that X-Forwarded-For is read.
  // No housekeeping: on a slow machine the run outlasts the orphaned-jobs sweep, whose writes are no request's.
  t = await createTestAppWithOwnDatabase({ trustProxy: true, storage: { driver: 'local', dir: storageDir } }, { housekeeping: false });
  // A super admin holds every permission, so signed-in requests reach every route's own checks.
  caller = await registerUser(t.app, 'super_admin', t.db);
  const member = await registerUser(t.app);
  const outsider = await registerUser(t.app);
  const as = (method: string, url: string, payload?: object) =>
    t.app.inject({ method: method as 'POST', url, headers: { cookie: caller.cookie }, ...(payload && { payload }) });

  const comic = (await as('POST', '/api/v1/comics', { title: 'Fuzzed' })).json().data;
  await as('POST', `/api/v1/comics/${comic.id}/members`, { username: member.username, role: 'viewer' });
  const invite = (await as('POST', `/api/v1/comics/${comic.id}/invites`, { role: 'viewer' })).json().data;
  const thread = (await as('POST', `/api/v1/comics/${comic.id}/comments`, { body: 'Fuzzed', anchor: { shapeId: 'shape:fuzz' } })).json().data;
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).png().toBuffer();
  const form = multipartFile(png, 'fixture.png');
  const media = (await t.app.inject({ method: 'POST', url: '/api/v1/media', payload: form.payload, headers: { ...form.headers, cookie: caller.cookie } })).json().data;
  const character = (await as('POST', `/api/v1/comics/${comic.id}/characters`, { name: 'Fuzzed', referenceMediaIds: [media.id] })).json().data;
  const jobValues = { userId: caller.id, type: 'comic', workflow: 'comic-panel', status: 'completed', progress: 100, parameters: {}, targetComicId: comic.id, targetPanelId: 'shape:p' };
  const [panelJob] = await t.db.insert(schema.jobs).values(jobValues).returning({ id: schema.jobs.id });
  const version = (await as('POST', `/api/v1/comics/${comic.id}/versions`, { name: 'Fuzzed' })).json().data;
  const otherSession = sessionIdOf(await login(t.app, caller.username, caller.password));
  const published = await publishedComic(t, caller);

  // Real things for the path to name, so that a request that got through would change something.
  const ids: [prefix: string, params: Record<string, string>][] = [
    ['/api/v1/comics/{id}', { id: comic.id, userId: member.id, inviteId: invite.id, commentId: thread.id, characterId: character.id, jobId: panelJob!.id, pageId: 'page:one', versionId: version.id }],
    ['/api/v1/auth/sessions/{id}', { id: otherSession }],
    ['/api/v1/admin/users/{id}', { id: member.id }],
    ['/api/v1/media/{id}', { id: media.id }],
    ['/api/v1/read/{id}', { ...published, image: 'cover' }],
    ['/api/v1/profiles/{username}', { username: caller.username }],
  ];
  // The caller's own credentials: a sign-in that gets through succeeds, rather than recording a failed attempt.
  const hints = { username: outsider.username, title: 'Renamed', panelId: 'shape:panel', login: caller.username, password: caller.password, role: 'viewer', anchor: { shapeId: 'shape:fuzz' }, referenceMediaIds: [media.id], description: 'Hinted' };
  valid = (op) => ({ pathParams: ids.find(([prefix]) => op.path.startsWith(prefix))?.[1] ?? { id: crypto.randomUUID(), type: 'comic', actionId: crypto.randomUUID() }, hints });
});

afterAll(async () => {
  await t.close();
  await rm(storageDir, { recursive: true, force: true });
});

it('every route, signed out and signed in, refuses malformed input cleanly and changes nothing', { timeout: 600_000 }, async () => {
  const random = seededRandom(SEED);
  const operations = await apiOperations(t.app);
  const failures: string[] = [];
  let fuzzed = 0;
  let serverErrors = 0;
  let state = await dbState(t.db);
  let session = caller.cookie;

  for (const op of operations) {
    for (const signedIn of [false, true]) {
      for (const request of malformedRequests(op, valid(op), random)) {
        const response = await t.app.inject({
          method: request.method as 'GET',
          url: request.url,
          headers: { ...(signedIn && { cookie: session }), ...request.headers },
          ...(request.payload !== undefined && { payload: request.payload }),
          remoteAddress: randomIp(),
        });
        fuzzed++;
        if (response.statusCode >= 500) serverErrors++;
        // Work a route hands to the background (a reset mail) is part of what the request did.
        await t.app.background.settled();
        const after = await dbState(t.db);
        const where = `${operationName(op)} ${signedIn ? 'signed in' : 'signed out'}, ${request.kind}: ${request.url.slice(0, 120)}`;
        const problem = errorAnswerProblem(response);
        if (problem) failures.push(`${where}: ${problem}: ${response.body.slice(0, 200)}`);
        if (signedIn && request.kind !== 'cookie' && response.body.includes('"code":"unauthenticated"')) failures.push(`${where}: the caller's session was lost`);
        const changed = changedTables(state, after);
        if (response.statusCode >= 400 && changed.length) failures.push(`${where}: refused with ${response.statusCode} but changed ${changed.join(', ')}`);
        state = after;
        // Something got through (a sign-out takes no body to refuse): carry on with a live session.
        if (signedIn && response.statusCode < 300) {
          session = await login(t.app, caller.username, caller.password);
          state = await dbState(t.db);
        }
      }
    }
  }

  console.log(`API fuzz (seed ${SEED}): ${fuzzed} requests over ${operations.length} routes, ${serverErrors} answered 5xx`);
  expect(operations.length).toBeGreaterThan(40);
  expect(failures).toEqual([]);
});
