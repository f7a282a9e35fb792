// Collab-servers close the live connections of a session that ended on the API's word: that word goes out
// even when this API instance keeps no sessions in memory (SESSION_CACHE_SECONDS=0).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisNames } from '@inkwell/workflows';
import { type Listener, type TestApp, createTestApp, listenTo, login, registerUser, sessionIdOf } from './helper.ts';

let t: TestApp;
let invalidations: Listener<unknown>;

beforeAll(async () => {
  t = await createTestApp({ sessionCacheMs: 0 });
  invalidations = await listenTo(redisNames(t.config.redisPrefix).sessionInvalidations);
});
afterAll(async () => {
  await invalidations.close();
  await t.close();
});

describe('with the session cache off', () => {
  it('signing out, and ending every session, are announced session by session', async () => {
    const user = await registerUser(t.app);
    const other = await login(t.app, user.username, user.password);
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: user.cookie } });
    await expect.poll(() => invalidations.heard).toContainEqual({ kind: 'session', id: sessionIdOf(user.cookie) });

    const third = await login(t.app, user.username, user.password);
    await t.app.inject({ method: 'DELETE', url: '/api/v1/auth/sessions', headers: { cookie: third } });
    await expect.poll(() => invalidations.heard).toContainEqual({ kind: 'session', id: sessionIdOf(other) });
    await expect.poll(() => invalidations.heard).toContainEqual({ kind: 'session', id: sessionIdOf(third) });
  });
});
