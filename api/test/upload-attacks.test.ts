// Uploads an attacker would try: markup dressed as an image, images carrying a second file (polyglots),
// and pixel floods (a tiny file that claims billions of pixels). Each is refused or defused, and a refused
// one leaves nothing behind: no row, no bytes in storage.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, type TestUser, createTestApp, expectError, multipartFile, registerUser } from './helper.ts';

let t: TestApp;
let storageDir: string;
let user: TestUser;

beforeAll(async () => {
  storageDir = await mkdtemp(join(tmpdir(), 'inkwell-upload-attacks-'));
  t = await createTestApp({ storage: { driver: 'local', dir: storageDir } });
  user = await registerUser(t.app);
});
afterAll(async () => {
  await t.close();
  await rm(storageDir, { recursive: true, force: true });
});

function upload(bytes: Buffer, filename: string, contentType = 'image/png') {
  return t.app.inject({ method: 'POST', url: '/api/v1/media', ...withCookie(multipartFile(bytes, filename, contentType)) });
}
function withCookie(form: ReturnType<typeof multipartFile>) {
  return { payload: form.payload, headers: { ...form.headers, cookie: user.cookie } };
}

async function storedFiles(): Promise<Buffer[]> {
  const entries = await readdir(storageDir, { recursive: true, withFileTypes: true }).catch(() => []);
  return Promise.all(entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name))));
}
async function mediaCount(): Promise<number> {
  return (await t.app.inject({ method: 'GET', url: '/api/v1/media', headers: { cookie: user.cookie } })).json().pagination.total;
}

/** Refused with `status`/`code`, and nothing was stored. */
async function expectRefused(bytes: Buffer, filename: string, status: number, code: string, contentType?: string) {
  const [rowsBefore, filesBefore] = [await mediaCount(), (await storedFiles()).length];
  expectError(await upload(bytes, filename, contentType), status, code);
  expect(await mediaCount()).toBe(rowsBefore);
  expect((await storedFiles()).length).toBe(filesBefore);
}

const png = (width = 16, height = 16) => sharp({ create: { width, height, channels: 3, background: '#224488' } }).png().toBuffer();

/** A PNG whose header claims `width` x `height` while its data stays that of a 1x1 image. */
async function pixelFlood(width: number, height: number): Promise<Buffer> {
  const bytes = Buffer.from(await png(1, 1));
  // Signature (8 bytes), then the IHDR chunk: length (4), type (4), width (4), height (4), ..., CRC over type+data.
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  bytes.writeUInt32BE(crc32(bytes.subarray(12, 29)), 29);
  return bytes;
}

describe('markup dressed as an image', () => {
  it('refuses an SVG with script, whatever name and type it is sent with', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>');
    await expectRefused(svg, 'cat.svg', 415, 'unsupported_file_type', 'image/svg+xml');
    await expectRefused(svg, 'cat.png', 415, 'unsupported_file_type', 'image/png');
  });

  it('refuses an HTML page sent as a PNG', async () => {
    await expectRefused(Buffer.from('<!doctype html><script>fetch("/api/v1/auth/me")</script>'), 'page.png', 415, 'unsupported_file_type');
  });
});

describe('polyglots', () => {
  const payload = '<script>alert(document.domain)</script>';

  it('keeps only the picture of a PNG with a page (or an archive) hidden after its end', async () => {
    const polyglot = Buffer.concat([await png(), Buffer.from(`<html>${payload}</html>`), Buffer.from('PK\x03\x04hidden.zip')]);
    const response = await upload(polyglot, 'innocent.png');
    expect(response.statusCode).toBe(201);
    const served = await t.app.inject({ method: 'GET', url: response.json().data.url, headers: { cookie: user.cookie } });
    expect(served.headers['content-type']).toBe('image/png');
    expect(served.headers['x-content-type-options']).toBe('nosniff');
    expect(served.rawPayload.includes(payload)).toBe(false);
    expect(served.rawPayload.includes('PK\x03\x04')).toBe(false);
    expect((await sharp(served.rawPayload).metadata()).width).toBe(16);
    for (const file of await storedFiles()) expect(file.includes(payload)).toBe(false);
  });

  it('drops script hidden in a GIF comment', async () => {
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } }).gif().toBuffer();
    // A comment extension (0x21 0xFE) with the script, put just before the trailer (0x3B).
    const comment = Buffer.concat([Buffer.from([0x21, 0xfe, payload.length]), Buffer.from(payload), Buffer.from([0x00])]);
    const polyglot = Buffer.concat([gif.subarray(0, gif.length - 1), comment, Buffer.from([0x3b])]);
    expect((await sharp(polyglot).metadata()).format).toBe('gif');
    const response = await upload(polyglot, 'wave.gif', 'image/gif');
    expect(response.statusCode).toBe(201);
    const served = await t.app.inject({ method: 'GET', url: response.json().data.url, headers: { cookie: user.cookie } });
    expect(served.rawPayload.includes(payload)).toBe(false);
  });
});

describe('pixel floods', () => {
  it('refuses a small file that claims more pixels than we open, and stores nothing', async () => {
    const flood = await pixelFlood(60_000, 60_000);
    expect(flood.length).toBeLessThan(200);
    await expectRefused(flood, 'flood.png', 400, 'invalid_image');
  });

  it('refuses a header that claims a size its data does not have', async () => {
    await expectRefused(await pixelFlood(4000, 4000), 'lying.png', 400, 'invalid_image');
  });
});
