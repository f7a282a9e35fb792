import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import { type TestApp, createTestApp, createTestAppWithOwnDatabase, expectError, me, registerUser } from './helper.ts';

// Two apps on one database: a healthy one to sign up with, and one whose Redis is gone, rate limits on.
let healthy: TestApp;
let broken: TestApp;
let deadRedis: Redis;
beforeAll(async () => {
  healthy = await createTestApp();
  // Nothing listens on port 1: every command fails at once, as during an outage after the first retry.
  deadRedis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  deadRedis.on('error', () => {}); // expected: it is meant to fail
  broken = await createTestApp({ rateLimitEnabled: true, sessionCacheMs: 0 }, { redis: deadRedis });
});
afterAll(async () => {
  await broken?.close();
  deadRedis?.disconnect();
  await healthy?.close();
});

describe('with Redis down and rate limits on', () => {
  it('public /api routes still answer instead of 500', async () => {
    const response = await broken.app.inject({ method: 'GET', url: '/api/v1/status' });
    expect(response.statusCode).toBeLessThan(500);
  });

  it('a signed-in user stays signed in: sessions are checked in Postgres', async () => {
    const user = await registerUser(healthy.app);
    const response = await me(broken.app, user.cookie);
    expect(response.statusCode).toBe(200);
    expect(response.json().data.id).toBe(user.id);
  });

  it('queueing a job answers 503 and leaves no row behind to count against the user', async () => {
    const user = await registerUser(healthy.app);
    const payload = { workflow: 'txt2img-sdxl', params: { prompt: 'a lighthouse at dusk' } };
    const response = await broken.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: { cookie: user.cookie }, payload });
    expectError(response, 503, 'queue_unavailable');
    expect(await healthy.db.select().from(schema.jobs).where(eq(schema.jobs.userId, user.id))).toEqual([]);
  });

  it('a queued row left without a queue entry can still be cancelled', async () => {
    const user = await registerUser(healthy.app);
    const [row] = await healthy.db
      .insert(schema.jobs)
      .values({ userId: user.id, type: 'image', workflow: 'txt2img-sdxl', parameters: { prompt: 'lost' } })
      .returning();
    const response = await healthy.app.inject({ method: 'POST', url: `/api/v1/jobs/${row!.id}/cancel`, headers: { cookie: user.cookie } });
    expect(response.statusCode).toBe(202);
    expect(response.json().data.status).toBe('cancelled');
  });

  it('a queued row without a queue entry is failed when an API starts, freeing its slot', async () => {
    // On a database of its own: the sweep settles every queued job over five minutes old that its queue lacks,
    // and other test files' jobs sit in the shared database, in queues of their own Redis prefixes.
    const before = await createTestAppWithOwnDatabase();
    try {
      const user = await registerUser(before.app);
      const [row] = await before.db
        .insert(schema.jobs)
        .values({ userId: user.id, type: 'image', workflow: 'txt2img-sdxl', parameters: { prompt: 'lost' }, createdAt: new Date(Date.now() - 3_600_000) })
        .returning();
      const fresh = await before.db
        .insert(schema.jobs)
        .values({ userId: user.id, type: 'image', workflow: 'txt2img-sdxl', parameters: { prompt: 'just queued' } })
        .returning();
      // Housekeeping is what is tested here (test apps run without it).
      const restarted = await createTestApp({ databaseUrl: before.config.databaseUrl }, { housekeeping: true });
      try {
        const status = async (id: string) => (await before.db.select().from(schema.jobs).where(eq(schema.jobs.id, id)))[0]?.status;
        await expect.poll(() => status(row!.id), { timeout: 5000 }).toBe('failed');
        // A job queued a moment ago may still be on its way to the queue: it is left alone.
        expect(await status(fresh[0]!.id)).toBe('queued');
      } finally {
        await restarted.close();
      }
    } finally {
      await before.close();
    }
  });

  it('/readyz answers not ready', async () => {
    const response = await broken.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'not_ready', checks: { redis: 'unavailable' } });
  });
});
