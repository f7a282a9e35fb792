// Uploads are scanned by a real clamd (Debian's clamav-daemon) with a signature database this test writes:
// the official databases cannot be downloaded here. A whole-file MD5 signature proves that a match refuses
// the upload and a clean file passes; a body signature for the EICAR test string, matched anywhere in a
// file, proves that the original bytes are scanned, before re-encoding could wash a payload out.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { scanWithClamd } from '../src/lib/clamav.ts';
import { type TestApp, type TestUser, createTestApp, multipartFile, registerUser } from './helper.ts';

const CLAMD = '/usr/sbin/clamd';

let dir: string;
let clamd: ChildProcess;
let port: number;
let t: TestApp;
let user: TestUser;
let infected: Buffer;

/** The industry's harmless test virus, which every scanner is expected to flag. */
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

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
  await writeFile(join(dir, 'inkwell.ndb'), `Inkwell.Test.EICAR:0:*:${Buffer.from(EICAR).toString('hex')}\n`);
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
  const form = multipartFile(bytes, 'x.png', 'image/png');
  return t.app.inject({ method: 'POST', url: '/api/v1/media', payload: form.payload, headers: { ...form.headers, cookie: user.cookie } });
}

const mediaCount = async () => (await t.app.inject({ method: 'GET', url: '/api/v1/media', headers: { cookie: user.cookie } })).json().pagination.total;

it('refuses a file the scanner flags and stores nothing', async () => {
  const response = await upload(infected);
  expect(response.statusCode).toBe(422);
  expect(response.json().error.code).toBe('infected_file');
  expect(await mediaCount()).toBe(0);
});

it('finds the EICAR test string hidden after a real picture, and stores nothing', async () => {
  expect((await scanWithClamd({ host: '127.0.0.1', port }, Buffer.from(EICAR))).infected).toBe(true);
  const clean = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#0000ff' } }).png().toBuffer();
  const response = await upload(Buffer.concat([clean, Buffer.from(EICAR)]));
  expect(response.statusCode).toBe(422);
  expect(response.json().error.code).toBe('infected_file');
  expect(await mediaCount()).toBe(0);
});

it('accepts a clean file', async () => {
  const clean = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#00ff00' } }).png().toBuffer();
  expect((await upload(clean)).statusCode).toBe(201);
});
