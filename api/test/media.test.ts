import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, type TestUser, createTestApp, multipartFile, registerUser } from './helper.ts';

let t: TestApp;
let storageDir: string;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  storageDir = await mkdtemp(join(tmpdir(), 'inkwell-media-'));
  t = await createTestApp({ storage: { driver: 'local', dir: storageDir }, maxUploadBytes: 256 * 1024 });
  [alice, bob] = await Promise.all([registerUser(t.app), registerUser(t.app)]);
});
afterAll(async () => {
  await t.close();
  await rm(storageDir, { recursive: true, force: true });
});

function upload(user: TestUser, bytes: Buffer, filename: string, query = '', contentType?: string) {
  const form = multipartFile(bytes, filename, contentType);
  return t.app.inject({ method: 'POST', url: `/api/v1/media${query}`, payload: form.payload, headers: { ...form.headers, cookie: user.cookie } });
}

const get = (user: TestUser | null, url: string) => t.app.inject({ method: 'GET', url, headers: user ? { cookie: user.cookie } : {} });

async function photoWithSecrets(): Promise<Buffer> {
  return sharp({ create: { width: 120, height: 80, channels: 3, background: '#3366ff' } })
    .jpeg()
    .withExif({ IFD0: { Copyright: 'GPS near my house', Artist: 'Alice Private' } })
    .toBuffer();
}

async function countStoredFiles(): Promise<number> {
  const entries = await readdir(storageDir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).length;
}

describe('uploading', () => {
  it('stores an image re-encoded without its metadata, with a thumbnail, and serves it to its owner', async () => {
    const original = await photoWithSecrets();
    expect(original.includes('GPS near my house')).toBe(true);
    const response = await upload(alice, original, 'holiday.jpg');
    expect(response.statusCode).toBe(201);
    const item = response.json().data;
    expect(item).toMatchObject({ filename: 'holiday.jpg', mimeType: 'image/jpeg', width: 120, height: 80, privacy: 'private', ownerId: alice.id });

    const file = await get(alice, item.url);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('image/jpeg');
    expect(file.rawPayload.includes('GPS near my house')).toBe(false);
    expect(file.rawPayload.includes('Alice Private')).toBe(false);
    expect((await sharp(file.rawPayload).metadata()).width).toBe(120);

    const thumbnail = await get(alice, item.thumbnailUrl);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    expect((await get(alice, '/api/v1/media')).json().data.map((m: { id: string }) => m.id)).toContain(item.id);
  });

  it('decides the type from the bytes: a text file named .png is refused and nothing is stored', async () => {
    const before = await countStoredFiles();
    const response = await upload(alice, Buffer.from('just some text, not a picture'), 'cat.png', '', 'image/png');
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('unsupported_file_type');
    expect(await countStoredFiles()).toBe(before);
  });

  it('refuses a damaged image, a file over the size limit, and a request without a file', async () => {
    const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: 'red' } }).png().toBuffer();
    const damaged = await upload(alice, png.subarray(0, 40), 'broken.png');
    expect(damaged.statusCode).toBe(400);
    expect(damaged.json().error.code).toBe('invalid_image');

    const huge = await upload(alice, Buffer.concat([png, Buffer.alloc(300 * 1024)]), 'huge.png');
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error).toMatchObject({ code: 'payload_too_large', message: 'The file is over the 256 KB limit' });

    const json = await t.app.inject({ method: 'POST', url: '/api/v1/media', payload: { file: 'x' }, headers: { cookie: alice.cookie } });
    expect(json.statusCode).toBe(400);
    expect(json.json().error.code).toBe('not_multipart');

    const anonymous = await t.app.inject({ method: 'POST', url: '/api/v1/media', ...multipartFile(png, 'a.png') });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('who sees what', () => {
  it('keeps private media to its owner, and shows public media to everyone', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 4, background: 'green' } }).png().toBuffer();
    const item = (await upload(alice, png, 'secret.png')).json().data;
    expect((await get(bob, item.url)).statusCode).toBe(404);
    expect((await get(null, item.url)).statusCode).toBe(404);
    expect((await get(bob, `/api/v1/media/${item.id}`)).statusCode).toBe(404);

    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/media/${item.id}`, payload: { privacy: 'public' }, headers: { cookie: bob.cookie } });
    expect(patched.statusCode).toBe(404);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/media/${item.id}`, payload: { privacy: 'public' }, headers: { cookie: alice.cookie } });
    const visible = await get(null, item.url);
    expect(visible.statusCode).toBe(200);
    expect(visible.headers['cache-control']).toContain('public');
  });

  it('shows pictures uploaded into a comic to its members only; viewers cannot add any', async () => {
    const comic = (await t.app.inject({ method: 'POST', url: '/api/v1/comics', payload: { title: 'Shared' }, headers: { cookie: alice.cookie } })).json().data;
    const viewer = await registerUser(t.app);
    await t.app.inject({ method: 'POST', url: `/api/v1/comics/${comic.id}/members`, payload: { username: viewer.username, role: 'viewer' }, headers: { cookie: alice.cookie } });
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'blue' } }).png().toBuffer();

    const item = (await upload(alice, png, 'panel.png', `?comicId=${comic.id}`)).json().data;
    expect(item.comicId).toBe(comic.id);
    expect((await get(viewer, item.url)).statusCode).toBe(200);
    expect((await get(bob, item.url)).statusCode).toBe(404);

    expect((await upload(viewer, png, 'mine.png', `?comicId=${comic.id}`)).statusCode).toBe(403);
    expect((await upload(bob, png, 'mine.png', `?comicId=${comic.id}`)).statusCode).toBe(404);
  });

  it('deletes at the owner’s word only, bytes included', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'white' } }).png().toBuffer();
    const item = (await upload(alice, png, 'gone.png')).json().data;
    const before = await countStoredFiles();
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/media/${item.id}`, headers: { cookie: bob.cookie } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/media/${item.id}`, headers: { cookie: alice.cookie } })).statusCode).toBe(200);
    expect((await get(alice, item.url)).statusCode).toBe(404);
    expect(await countStoredFiles()).toBe(before - 2);
  });
});
