// Two collab-servers share edits through a Redis of the test's own, which is killed and started again:
// editing goes on meanwhile (each edit stored and acknowledged), /readyz says not ready within a second, and
// once Redis is back the instances sync live again by themselves, with every edit on both sides.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp, registerUser } from '../api/test/helper.ts';
import { type Client, type Collab, acknowledged, collabConfig, connect, startCollab, synced, waitFor } from '../collab-server/test/helper.ts';
import { page, panel } from '../collab-server/src/model/fixtures.ts';
import { type PrivateServer, startRedis } from './private-services.ts';

let redis: PrivateServer;
let api: TestApp;
let config: Parameters<typeof startCollab>[0];
const servers: Collab[] = [];
beforeAll(async () => {
  redis = await startRedis();
  api = await createTestApp({ redisUrl: redis.url, rateLimitEnabled: false });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const apiUrl = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  config = { ...collabConfig({ app: api.app, url: apiUrl, close: async () => {} }, api.config.redisPrefix), redisUrl: redis.url };
  servers.push(await startCollab(config), await startCollab(config));
}, 30_000);
afterAll(async () => {
  await redis?.start(); // when a failed test left it down
  for (const collab of servers) await collab.server.close();
  await api?.close();
  await redis?.remove();
});

const pages = (client: Client) => [...client.records.keys()].sort();

async function readyz(collab: Collab): Promise<number> {
  return (await fetch(`http://127.0.0.1:${collab.port}/readyz`, { signal: AbortSignal.timeout(1000) })).status;
}

describe('when the collab-servers’ Redis is killed and started again', () => {
  it('edits go on and are kept, and the instances sync live again once it is back', async () => {
    const [one, two] = servers as [Collab, Collab];
    const owner = await registerUser(api.app);
    const created = await api.app.inject({ method: 'POST', url: '/api/v1/comics', headers: { cookie: owner.cookie }, payload: { title: 'Redis outage' } });
    const comicId = created.json().data.id as string;
    const a = connect(one.url, comicId, { cookie: owner.cookie });
    const b = connect(two.url, comicId, { cookie: owner.cookie });
    try {
      await Promise.all([synced(a), synced(b)]);
      a.records.set('page:before', page('before', 'Before', 'a1'));
      await waitFor(() => b.records.has('page:before'), 'the edit to reach the other instance');

      await redis.kill();
      // Long enough for ioredis' reconnect pauses to grow: a probe queued behind them would wait seconds.
      await new Promise((resolve) => setTimeout(resolve, 8000));
      for (const collab of [one, two, one]) expect(await readyz(collab)).toBe(503);
      a.records.set('page:during-a', page('during-a', 'During A', 'a2'));
      b.records.set('page:during-b', page('during-b', 'During B', 'a3'));
      // Each author's edit is stored in Postgres and acknowledged although the instances cannot talk.
      await Promise.all([acknowledged(a), acknowledged(b)]);

      await redis.start();
      await waitFor(async () => (await readyz(one)) === 200 && (await readyz(two)) === 200, 'both instances to be ready again', 15_000);
      a.records.set('page:after', page('after', 'After', 'a4'));
      a.records.set('shape:panel', panel('panel', 'page:after', 'a1', { x: 0, y: 0, w: 400, h: 300 }));
      const all = ['page:after', 'page:before', 'page:during-a', 'page:during-b', 'shape:panel'];
      await waitFor(() => pages(a).join() === all.join() && pages(b).join() === all.join(), 'both clients to hold every edit', 15_000);
      await acknowledged(a);

      // Server-side edits (a generation aimed at a panel) reach the documents again through Redis's queue.
      const job = await api.app.inject({
        method: 'POST',
        url: '/api/v1/jobs',
        headers: { cookie: owner.cookie },
        payload: { workflow: 'txt2img-sdxl', params: { prompt: 'a lighthouse' }, target: { comicId, panelId: 'shape:panel' } },
      });
      expect(job.statusCode, job.body).toBe(202);
      const generation = (client: Client) => (client.records.get('shape:panel') as { props?: { generation?: unknown } } | undefined)?.props?.generation;
      await waitFor(() => Boolean(generation(a)) && Boolean(generation(b)), 'the panel to show the queued generation on both', 15_000);
    } finally {
      a.close();
      b.close();
    }
  }, 60_000);

  it('a collab-server shuts down promptly right after Redis comes back', async () => {
    const collab = await startCollab(config);
    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await redis.start();
    // Its shutdown stores the documents: it must not wait for ever on a queue connection still reconnecting.
    const started = Date.now();
    await collab.server.close();
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
