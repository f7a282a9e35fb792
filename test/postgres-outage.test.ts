// A Postgres of the test's own goes away (Postgres' own crash stop) and comes back while the API and a
// collab-server keep running: the API answers a clear 503 at once, /readyz says not ready within a second,
// the collab-server keeps unsaved edits in memory, and both serve again by themselves once it returns,
// with every acknowledged edit stored.
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { migrateDatabase, schema } from '@inkwell/db';
import { type TestApp, createTestApp, expectError, randomIp, registerUser } from '../api/test/helper.ts';
import { acknowledged, collabConfig, connect, startCollab, synced } from '../collab-server/test/helper.ts';
import { page } from '../collab-server/src/model/fixtures.ts';
import { recordsOf } from '../collab-server/src/model/index.ts';
import { type PrivateServer, startPostgres } from './private-services.ts';

/** A request while Postgres is gone fails within this (the driver's own pauses grew to 20 s). */
const PROMPT_MS = 2000;
/** /readyz says not ready within a second. */
const READY_MS = 1000;

let postgres: PrivateServer;
let api: TestApp;
let apiUrl: string;
beforeAll(async () => {
  postgres = await startPostgres('inkwell');
  await migrateDatabase(postgres.url);
  api = await createTestApp({ databaseUrl: postgres.url });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  apiUrl = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
}, 60_000);
// A test that failed midway must not leave the next one without its database.
beforeEach(() => postgres.start());
afterAll(async () => {
  await postgres?.start();
  await api?.close();
  await postgres?.remove();
});

async function timed(request: () => Promise<LightMyRequestResponse>, limitMs = PROMPT_MS): Promise<LightMyRequestResponse> {
  const started = Date.now();
  const response = await request();
  expect(Date.now() - started, `answered in ${Date.now() - started} ms`).toBeLessThan(limitMs);
  return response;
}

const listComics = (cookie: string) => api.app.inject({ method: 'GET', url: '/api/v1/comics', headers: { cookie } });

describe('when Postgres is stopped and started again', () => {
  it('the API answers 503 at once while it is gone and serves again by itself', async () => {
    const user = await registerUser(api.app);
    expect((await listComics(user.cookie)).statusCode).toBe(200);

    await postgres.kill();
    // Every request, not just the first: the driver must not hold queries back longer with each failure.
    for (let i = 0; i < 8; i += 1) {
      const down = await timed(() => listComics(user.cookie));
      expectError(down, 503, 'database_unavailable');
      expect(down.body).not.toMatch(/ECONN|CONNECTION_|postgres|at \w+ \(/i);
    }
    const signIn = await timed(() =>
      api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: user.username, password: user.password }, remoteAddress: randomIp() }),
    );
    expectError(signIn, 503, 'database_unavailable');
    const readyz = await timed(() => api.app.inject({ method: 'GET', url: '/readyz' }), READY_MS);
    expect(readyz.statusCode).toBe(503);
    expect(readyz.json()).toMatchObject({ status: 'not_ready', checks: { postgres: 'unavailable', redis: 'ok' } });

    await postgres.start();
    await expect.poll(async () => (await listComics(user.cookie)).statusCode, { timeout: 15_000, interval: 250 }).toBe(200);
    expect((await api.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  }, 60_000);

  it('the collab-server keeps unsaved edits while it is gone and stores them once it returns', async () => {
    const owner = await registerUser(api.app);
    const created = await api.app.inject({ method: 'POST', url: '/api/v1/comics', headers: { cookie: owner.cookie }, payload: { title: 'Through the outage' } });
    const comicId = created.json().data.id as string;
    const collab = await startCollab({ ...collabConfig({ app: api.app, url: apiUrl, close: async () => {} }, api.config.redisPrefix), databaseUrl: postgres.url });
    const client = connect(collab.url, comicId, { cookie: owner.cookie });
    try {
      await synced(client);
      client.records.set('page:before', page('before', 'Before', 'a1'));
      await acknowledged(client);

      await postgres.kill();
      client.records.set('page:during', page('during', 'During', 'a2'));
      // Not stored, so not acknowledged: the author's client keeps it as unsaved, the server keeps retrying.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(client.provider.hasUnsyncedChanges).toBe(true);
      const readyz = await fetch(`http://127.0.0.1:${collab.port}/readyz`, { signal: AbortSignal.timeout(READY_MS) });
      expect(readyz.status).toBe(503);

      await postgres.start();
      await acknowledged(client);
      const [row] = await api.db.select({ state: schema.comicDocuments.state }).from(schema.comicDocuments).where(eq(schema.comicDocuments.comicId, comicId));
      const stored = new Y.Doc();
      Y.applyUpdate(stored, new Uint8Array(row!.state));
      expect([...recordsOf(stored).keys()].sort()).toEqual(['page:before', 'page:during']);
    } finally {
      client.close();
      await collab.server.close();
    }
  }, 60_000);
});
