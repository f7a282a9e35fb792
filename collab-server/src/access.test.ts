import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type AccessDenied, createAccessClient } from './access.ts';

const comicId = '0b6a4e8e-6f1d-4c7e-9d55-2f1c1d8f0a11';
const grant = { userId: 'u1', username: 'ana', role: 'editor', sessionId: 's1' };

/** An API that answers access checks after `delayMs` (never when null), counting the connections open at once. */
async function fakeApi(delayMs: number | null) {
  const seen = { open: 0, most: 0, requests: 0 };
  const server: Server = createServer((request, response) => {
    seen.requests++;
    if (delayMs === null) return;
    setTimeout(() => {
      const allowed = request.headers.cookie === 'session=ok';
      response.writeHead(allowed ? 200 : 401, { 'content-type': 'application/json' });
      response.end(JSON.stringify(allowed ? { success: true, data: grant } : { success: false }));
    }, delayMs);
  });
  server.on('connection', (socket) => {
    seen.most = Math.max(seen.most, ++seen.open);
    socket.on('close', () => seen.open--);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

describe('the access client', () => {
  it('checks a burst of connections over a few kept-open sockets to the API, each with its own answer', async () => {
    const api = await fakeApi(20);
    server = api.server;
    const access = createAccessClient(api.url);
    const checks = Array.from({ length: 60 }, (_, i) => access.check(comicId, { cookie: i % 10 === 0 ? 'session=expired' : 'session=ok' }));
    const results = await Promise.allSettled(checks);

    expect(api.seen.requests).toBe(60);
    expect(api.seen.most).toBeLessThanOrEqual(16);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as AccessDenied).reason);
    expect(refused).toEqual(Array(6).fill('unauthorized'));
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<unknown>).value)).toEqual(Array(54).fill(grant));
  });

  it('gives up on an API that does not answer, counting the wait for a socket too', async () => {
    const api = await fakeApi(null);
    server = api.server;
    const access = createAccessClient(api.url, 1000);
    const started = performance.now();
    // More checks than sockets: those queued behind the first sixteen give up with them, not a second later.
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => access.check(comicId, { cookie: 'session=ok' })));
    expect(performance.now() - started).toBeLessThan(1800);
    for (const result of results) expect(((result as PromiseRejectedResult).reason as AccessDenied).reason).toBe('unavailable');
  });
});
