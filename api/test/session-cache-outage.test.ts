import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createSessionCache } from '../src/services/session-cache.ts';
import type { Auth } from '../src/services/sessions.ts';

// A Redis of this test's own, so that it can be stopped without touching anyone else's.
const PORT = 20_000 + Math.floor(Math.random() * 10_000);
function startRedis(): Promise<ChildProcess> {
  const server = spawn('/usr/bin/redis-server', ['--port', String(PORT), '--save', ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => server.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('Ready to accept') && resolve(server)));
}

let server: ChildProcess | undefined;
let redis: Redis | undefined;
afterAll(async () => {
  redis?.disconnect();
  server?.kill();
});

describe('session cache while Redis is down', () => {
  it('stops answering from memory, so revocations sent meanwhile cannot be missed', async () => {
    server = await startRedis();
    redis = new Redis({ port: PORT, maxRetriesPerRequest: 0, retryStrategy: () => 200 });
    redis.on('error', () => {});
    const cache = createSessionCache({ ttlMs: 60_000, maxEntries: 10, redis, channel: 'inval' });
    await cache.ready;
    const entry = { auth: { sessionId: 's1', user: { id: 'u1' } } as unknown as Auth, expiresAt: new Date(), lastUsedAt: new Date() };
    cache.set('token', entry, Date.now());
    expect(cache.get('token')).toBeDefined();

    server.kill();
    await once(server, 'exit');
    await expect.poll(() => cache.get('token'), { timeout: 5000 }).toBeUndefined();
    cache.set('token', entry, Date.now());
    expect(cache.get('token')).toBeUndefined();
    void cache.close().catch(() => {});
  });
});
