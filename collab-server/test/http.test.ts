import { once } from 'node:events';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { documentNameOf } from '../src/documents.ts';
import { type User, acknowledged, connect, note, startCollab, storedRecords, synced, useStack } from './helper.ts';

const stack = useStack();
let owner: User;
const http = (path: string) => fetch(`http://127.0.0.1:${stack.collab.port}${path}`);

beforeAll(async () => {
  owner = await stack.signUp();
});

describe('HTTP endpoints', () => {
  it('answers health, readiness and metrics', async () => {
    expect(await (await http('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await http('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });

    const comicId = await stack.newComic(owner);
    const client = connect(stack.collab.url, comicId, { cookie: owner.cookie });
    await synced(client);
    client.records.set('shape:x', note('x', 'counted'));
    await acknowledged(client);
    // What the metric counts, by name: a document open beside this one is named when this fails.
    expect([...stack.collab.server.hocuspocus.documents.keys()]).toEqual([documentNameOf(comicId)]);
    const metrics = await (await http('/metrics')).text();
    expect(metrics).toMatch(/^collab_connections 1$/m);
    expect(metrics).toMatch(/^collab_documents_open 1$/m);
    expect(metrics).toMatch(/^collab_store_duration_seconds_count [1-9]/m);
    expect(metrics).toMatch(/^collab_store_failures_total 0$/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes /m);
    client.close();
  });

  it('shows a stall of its event loop in the metrics', async () => {
    const lagMax = async () => Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(await (await http('/metrics')).text())![1]);
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // Each scrape starts the next measurement afresh, from the sampling timer's next tick.
    await lagMax();
    await pause(250);
    // The server runs in this process: blocking this thread blocks its event loop.
    const until = performance.now() + 400;
    while (performance.now() < until);
    await pause(250);
    expect(await lagMax()).toBeGreaterThanOrEqual(0.2);
  });

  it('takes websockets on /collab only', async () => {
    expect((await http('/collab')).status).toBe(426);
    expect((await http('/elsewhere')).status).toBe(404);
    const stray = new WebSocket(`ws://127.0.0.1:${stack.collab.port}/elsewhere`);
    const [, response] = (await once(stray, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(response.statusCode).toBe(404);
  });
});

describe('graceful shutdown', () => {
  it('stores what is pending, closes connections, and can be asked twice', async () => {
    const config = stack.config({ store: { debounceMs: 60_000, maxDebounceMs: 60_000, retryBaseMs: 50, retryMaxMs: 200 } });
    const stopping = await startCollab(config);
    const comicId = await stack.newComic(owner);
    const client = connect(stopping.url, comicId, { cookie: owner.cookie });
    await synced(client);
    client.records.set('shape:pending', note('pending', 'stored on shutdown'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await storedRecords(comicId)).size).toBe(0);

    const first = stopping.server.close();
    expect(stopping.server.close()).toBe(first);
    await first;
    expect((await storedRecords(comicId)).has('shape:pending')).toBe(true);
    expect(stopping.server.hocuspocus.getDocumentsCount()).toBe(0);
    await expect(fetch(`http://127.0.0.1:${stopping.port}/healthz`)).rejects.toThrow();
    client.close();
  });
});
