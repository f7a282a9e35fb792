// The one-origin front server in front of a real API: what a visitor can and cannot make it do.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, type TestUser, createTestApp, multipartFile, registerUser } from '../../api/test/helper.ts';
import { type FrontServer, createFrontServer } from '../front-server.ts';

const MEDIA_MAX_MB = 2;

let api: TestApp;
let front: FrontServer;
let site: string;
let storageDir: string;
let user: TestUser;
let upstreamConnections = 0;

const listen = (server: http.Server) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

beforeAll(async () => {
  storageDir = await mkdtemp(join(tmpdir(), 'inkwell-front-'));
  api = await createTestApp({ trustProxy: 'loopback', maxUploadBytes: MEDIA_MAX_MB * 1024 * 1024, storage: { driver: 'local', dir: storageDir } });
  api.app.server.on('connection', () => upstreamConnections++);
  const apiPort = await listen(api.app.server);
  user = await registerUser(api.app);
  front = createFrontServer({
    app: (_req, res) => res.end('the app'),
    apiTarget: `http://127.0.0.1:${apiPort}`,
    collabTarget: 'http://127.0.0.1:9', // nothing listens there
    mediaMaxMb: MEDIA_MAX_MB,
    log: () => {},
  });
  site = `http://127.0.0.1:${await listen(front.server)}`;
});
afterAll(async () => {
  await front?.close();
  await api?.close();
  await rm(storageDir, { recursive: true, force: true });
});

const storedFiles = async () => (await readdir(storageDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;

async function expectJsonError(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = await response.json();
  expect(body).toMatchObject({ success: false, error: { code } });
  return body.error.message;
}

describe('paths', () => {
  it.each(['/api/../metrics', '/api/%2e%2e/metrics', '/api/%2E%2E/readyz', '/collab/../metrics', '/api/v1%2fauth/me', '/api/..%5cmetrics'])(
    'refuses %s before it reaches any service',
    async (path) => {
      // A URL would normalise the path itself: send it as written.
      const { hostname, port } = new URL(site);
      const response = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ hostname, port, path }, resolve).on('error', reject));
      expect(response.statusCode).toBe(400);
      response.resume();
    },
  );

  it('serves the app, and the API under /api', async () => {
    expect(await (await fetch(`${site}/comics`)).text()).toBe('the app');
    expect((await fetch(`${site}/api/v1/auth/me`, { headers: { cookie: user.cookie } })).status).toBe(200);
  });
});

describe('forwarded headers', () => {
  it('sets the client address itself, so a forged X-Forwarded-For cannot dodge the per-address sign-in limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await fetch(`${site}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i + 1}` },
        body: JSON.stringify({ login: `nobody${i}`, password: 'wrong password here' }),
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });
});

describe('body limits', () => {
  it('answers an oversized JSON body with a 413 that names the limit', async () => {
    const response = await fetch(`${site}/api/v1/comics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: user.cookie },
      body: JSON.stringify({ title: 'x', description: 'y'.repeat(100 * 1024) }),
    });
    expect(await expectJsonError(response, 413, 'payload_too_large')).toContain('64 KB');
  });

  it('answers an upload over the limit with a 413 naming it, declared or streamed, and stores nothing', async () => {
    const form = multipartFile(Buffer.alloc((MEDIA_MAX_MB + 1) * 1024 * 1024, 1), 'big.png', 'image/png');
    const headers = { ...form.headers, cookie: user.cookie };
    const declared = await fetch(`${site}/api/v1/media`, { method: 'POST', headers, body: form.payload });
    expect(await expectJsonError(declared, 413, 'payload_too_large')).toContain(`${MEDIA_MAX_MB} MB`);

    // Without a Content-Length (chunked), the limit is only known once the body has passed it.
    const chunks = Array.from({ length: Math.ceil(form.payload.length / 65536) }, (_, i) => form.payload.subarray(i * 65536, (i + 1) * 65536));
    const streamed = await fetch(`${site}/api/v1/media`, { method: 'POST', headers, body: Readable.toWeb(Readable.from(chunks)) as ReadableStream, duplex: 'half' } as RequestInit);
    expect(await expectJsonError(streamed, 413, 'payload_too_large')).toContain(`${MEDIA_MAX_MB} MB`);
    expect(await storedFiles()).toBe(0);
  });

  it('passes an upload within the limit, and reuses its connections to the API', async () => {
    const png = await sharp({ create: { width: 600, height: 600, channels: 3, background: '#123456' } }).png({ compressionLevel: 0 }).toBuffer();
    expect(png.length).toBeGreaterThan(1024 * 1024);
    const before = upstreamConnections;
    for (let i = 0; i < 3; i++) {
      const form = multipartFile(png, 'page.png', 'image/png');
      const response = await fetch(`${site}/api/v1/media`, { method: 'POST', headers: { ...form.headers, cookie: user.cookie }, body: form.payload });
      expect(response.status).toBe(201);
    }
    expect(upstreamConnections - before).toBeLessThanOrEqual(1);
  });
});

it("keeps an idle connection open past Node's 5 s default, for the proxy in front to reuse", async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
      http
        .get(`${site}/healthz`, { agent }, (response) => {
          // Taken now: the response lets go of its socket once it ends.
          const socket = response.socket;
          response.resume().on('end', () => resolve({ status: response.statusCode!, socket }));
        })
        .on('error', reject);
    });
  try {
    const first = await get();
    // Node closes an idle connection a second after its keep-alive timeout.
    await new Promise((r) => setTimeout(r, 7000));
    const second = await get();
    expect(second.status).toBe(200);
    expect(first.socket).toBeTruthy();
    expect(second.socket).toBe(first.socket);
  } finally {
    agent.destroy();
  }
}, 15_000);

it('says clearly when a service behind it is down', async () => {
  expect(await expectJsonError(await fetch(`${site}/collab/anything`), 502, 'upstream_unavailable')).toContain('collaboration server');
});
