// The API's own Redis goes away and comes back while the API keeps running: requests degrade at once (no
// request waits on a Redis that is not there), and everything works again when it returns, by itself.
import { Queue } from 'bullmq';
import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import { GENERATION_QUEUE } from '@inkwell/workflows';
import { type PrivateServer, startRedis } from '../../test/private-services.ts';
import { type TestApp, createTestApp, expectError, login, me, randomIp, registerUser } from './helper.ts';

/** Longer than any request may take while Redis is gone: a request that waits on Redis fails this. */
const PROMPT_MS = 1000;

let redis: PrivateServer;
let api: TestApp;
beforeAll(async () => {
  redis = await startRedis();
  // The API's own Redis clients, built as in production, with rate limits and the session cache on.
  api = await createTestApp({ redisUrl: redis.url, rateLimitEnabled: true, sessionCacheMs: 30_000 });
}, 30_000);
afterAll(async () => {
  await redis?.start(); // when a failed test left it down
  await api?.close();
  await redis?.remove();
});

async function timed(request: () => Promise<LightMyRequestResponse>, limitMs = PROMPT_MS): Promise<LightMyRequestResponse> {
  const started = Date.now();
  const response = await request();
  expect(Date.now() - started, `answered in ${Date.now() - started} ms`).toBeLessThan(limitMs);
  return response;
}

const newJob = (cookie: string) =>
  api.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: { cookie }, payload: { workflow: 'txt2img-sdxl', params: { prompt: 'a lighthouse' } } });

describe('when the API’s Redis is killed and started again', () => {
  it('degrades while it is gone and serves fully once it is back, without restarting the API', async () => {
    const user = await registerUser(api.app);
    const before = await newJob(user.cookie);
    expect(before.statusCode).toBe(202);

    await redis.kill();
    // Long enough for ioredis' reconnect pauses to grow: queued commands would now wait seconds each.
    await new Promise((resolve) => setTimeout(resolve, 3000));

    // The limiter fails open, and sessions come from Postgres: reading and signing in still work.
    expect((await timed(() => api.app.inject({ method: 'GET', url: '/api/v1/status' }))).statusCode).toBe(200);
    expect((await timed(() => me(api.app, user.cookie))).statusCode).toBe(200);
    const signIn = await timed(() =>
      api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: user.username, password: user.password }, remoteAddress: randomIp() }),
      2 * PROMPT_MS, // hashing the password takes its own time on a busy machine
    );
    expect(signIn.statusCode).toBe(200);
    // What needs Redis says so, and leaves nothing behind.
    expectError(await timed(() => newJob(user.cookie)), 503, 'queue_unavailable');
    const readyz = await timed(() => api.app.inject({ method: 'GET', url: '/readyz' }));
    expect(readyz.statusCode).toBe(503);
    expect(readyz.json()).toMatchObject({ status: 'not_ready', checks: { redis: 'unavailable', postgres: 'ok' } });

    await redis.start();
    await expect.poll(async () => (await api.app.inject({ method: 'GET', url: '/readyz' })).statusCode, { timeout: 15_000, interval: 250 }).toBe(200);
    const after = await newJob(user.cookie);
    expect(after.statusCode).toBe(202);
    // The limiter counts in Redis again.
    const limited = await me(api.app, await login(api.app, user.username, user.password));
    expect(limited.headers['x-ratelimit-remaining']).toBeDefined();

    // No job lost or doubled: the one acknowledged before the outage and the one after, each queued once.
    const rows = await api.db.select({ id: schema.jobs.id, status: schema.jobs.status }).from(schema.jobs).where(eq(schema.jobs.userId, user.id));
    const ids = [before.json().data.id, after.json().data.id];
    expect(rows.map((row) => row.id).sort()).toEqual([...ids].sort());
    const connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const queue = new Queue(GENERATION_QUEUE, { connection, prefix: `${api.config.redisPrefix}bull` });
    try {
      for (const id of ids) expect((await queue.getJob(id))?.data.jobId).toBe(id);
      expect(await queue.getJobCountByTypes('waiting', 'prioritized', 'delayed', 'active')).toBe(2);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }, 60_000);
});

describe('when the API is stopped while its Redis is gone', () => {
  it('shuts down promptly, so that a restart is not held up by the outage', async () => {
    const ownRedis = await startRedis();
    const own = await createTestApp({ redisUrl: ownRedis.url });
    try {
      await ownRedis.kill();
      // Every client is now waiting to reconnect, its pause growing.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const started = Date.now();
      await own.close();
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await ownRedis.remove();
    }
  }, 30_000);
});
