// Uploads are scanned by a real clamd (Debian's clamav-daemon) with a signature database this test writes:
// the official databases cannot be downloaded here, and a whole-file MD5 signature is enough to prove
// that a match refuses the upload and a clean file passes.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { scanWithClamd } from '../src/lib/clamav.ts';
import { type TestApp, type TestUser, createTestApp, registerUser } from './helper.ts';

const CLAMD = '/usr/sbin/clamd';

let dir: string;
let clamd: ChildProcess;
let port: number;
let t: TestApp;
let user: TestUser;
let infected: Buffer;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inkwell-clamd-'));
  infected = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#ff00ff' } }).png().toBuffer();
  const md5 = createHash('md5').update(infected).digest('hex');
  await writeFile(join(dir, 'inkwell.hdb'), `${md5}:${infected.length}:Inkwell.Test.Signature\n`);
  port = await freePort();
  await writeFile(
    join(dir, 'clamd.conf'),
    [`DatabaseDirectory ${dir}`, `TCPSocket ${port}`, 'TCPAddr 127.0.0.1', 'Foreground yes', `PidFile ${join(dir, 'clamd.pid')}`, 'LogVerbose no'].join('\n'),
  );
  clamd = spawn(CLAMD, ['--config-file', join(dir, 'clamd.conf')], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      await scanWithClamd({ host: '127.0.0.1', port }, Buffer.from('ping'));
      break;
    } catch (error) {
      if (i > 150) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const storage = await mkdtemp(join(tmpdir(), 'inkwell-clamd-storage-'));
  t = await createTestApp({ clamd: { host: '127.0.0.1', port }, storage: { driver: 'local', dir: storage } });
  user = await registerUser(t.app);
}, 60_000);

afterAll(async () => {
  await t?.close();
  clamd?.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

function upload(bytes: Buffer) {
  const boundary = 'clamdtestboundary';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\nContent-Type: image/png\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/media',
    payload,
    headers: { cookie: user.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
}

it('refuses a file the scanner flags and stores nothing', async () => {
  const response = await upload(infected);
  expect(response.statusCode).toBe(422);
  expect(response.json().error.code).toBe('infected_file');
  expect((await t.app.inject({ method: 'GET', url: '/api/v1/media', headers: { cookie: user.cookie } })).json().pagination.total).toBe(0);
});

it('accepts a clean file', async () => {
  const clean = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#00ff00' } }).png().toBuffer();
  expect((await upload(clean)).statusCode).toBe(201);
});
