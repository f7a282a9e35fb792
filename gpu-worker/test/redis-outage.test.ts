// A gpu-worker stopped while its Redis is gone: a deploy or a scale-down during an outage must not hang on
// connections that wait for Redis to come back (BullMQ's closes would, for ever).
import { expect, it } from 'vitest';
import { type PrivateServer, startRedis } from '../../test/private-services.ts';
import { loadConfig } from '../src/config.ts';
import { type ComfySimulator, createComfySimulator } from '../src/simulator/index.ts';
import { createGpuWorker } from '../src/worker.ts';

it('shuts down promptly while its Redis is gone', async () => {
  let redis: PrivateServer | undefined;
  let simulator: ComfySimulator | undefined;
  try {
    redis = await startRedis();
    simulator = await createComfySimulator({ port: 0, stepMs: 5 });
    const worker = createGpuWorker({ ...loadConfig({ ...process.env, LOG_LEVEL: 'silent' }), redisUrl: redis.url, comfyUrls: [simulator.url], port: 0 }, { log: () => {} });
    await worker.start();
    await redis.kill();
    // Every connection is now waiting to reconnect, its pause growing.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([worker.close().then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 10_000)))]);
    clearTimeout(timer);
    expect(closed, 'closed within 10 s').toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  } finally {
    await simulator?.close();
    await redis?.remove();
  }
}, 30_000);
