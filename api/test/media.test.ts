import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { and, desc, eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import { COMIC_EDITS_QUEUE, type ComicEditJobData, redisNames } from '@inkwell/workflows';
import { type TestApp, type TestUser, createTestApp, multipartFile, registerUser } from './helper.ts';
import { storeSummary, summaryWith } from './published.ts';

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

  it('makes a thumbnail the first time its owner asks for it, and keeps it', async () => {
    const png = await sharp({ create: { width: 600, height: 400, channels: 3, background: 'teal' } }).png().toBuffer();
    const item = (await upload(alice, png, 'wide.png')).json().data;
    const thumbnailFile = join(storageDir, 'thumbnails', alice.id, `${item.id}.webp`);
    await expect(readFile(thumbnailFile)).rejects.toMatchObject({ code: 'ENOENT' });
    // Someone who may not see the picture has nothing made for them.
    expect((await get(bob, item.thumbnailUrl)).statusCode).toBe(404);
    await expect(readFile(thumbnailFile)).rejects.toMatchObject({ code: 'ENOENT' });

    // Two first views at once both get it.
    const [first, second] = await Promise.all([get(alice, item.thumbnailUrl), get(alice, item.thumbnailUrl)]);
    for (const thumbnail of [first, second]) {
      expect(thumbnail.headers['content-type']).toBe('image/webp');
      expect(thumbnail.headers['cache-control']).toBe('private, max-age=86400');
      expect((await sharp(thumbnail.rawPayload).metadata()).width).toBe(320);
    }
    expect(second.rawPayload.equals(first.rawPayload)).toBe(true);
    expect((await readFile(thumbnailFile)).equals(first.rawPayload)).toBe(true);

    // Kept: the next view reads it, it is not made again.
    const marked = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).webp().toBuffer();
    await writeFile(thumbnailFile, marked);
    expect((await get(alice, item.thumbnailUrl)).rawPayload.equals(marked)).toBe(true);
  });

  it('serves the picture itself, kept by no cache, for a thumbnail that cannot be made', async () => {
    const png = await sharp({ create: { width: 600, height: 400, channels: 3, background: 'teal' } }).png().toBuffer();
    const item = (await upload(alice, png, 'damaged.png')).json().data;
    // Its stored bytes damaged: the thumbnail fails, and may be made next time once they are mended.
    const pictureFile = join(storageDir, 'media', alice.id, `${item.id}.png`);
    await writeFile(pictureFile, png.subarray(0, 100));
    const standIn = await get(alice, item.thumbnailUrl);
    expect(standIn.statusCode).toBe(200);
    expect(standIn.headers['content-type']).toBe('image/png');
    expect(standIn.headers['cache-control']).toBe('private, no-store');
    expect(standIn.rawPayload.equals(png.subarray(0, 100))).toBe(true);

    await writeFile(pictureFile, png);
    const thumbnail = await get(alice, item.thumbnailUrl);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    expect((await sharp(thumbnail.rawPayload).metadata()).width).toBe(320);
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
    // Its thumbnail made, to go with it.
    expect((await get(alice, item.thumbnailUrl)).headers['content-type']).toBe('image/webp');
    const before = await countStoredFiles();
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/media/${item.id}`, headers: { cookie: bob.cookie } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/media/${item.id}`, headers: { cookie: alice.cookie } })).statusCode).toBe(200);
    expect((await get(alice, item.url)).statusCode).toBe(404);
    expect(await countStoredFiles()).toBe(before - 2);
  });
});

describe('the media library', () => {
  let carol: TestUser;
  const ids: Record<string, string> = {};
  const names = (response: { json(): { data: { filename: string }[] } }) => response.json().data.map((m) => m.filename);
  const list = (user: TestUser, query: string) => get(user, `/api/v1/media?${query}`);
  const send = (user: TestUser, method: 'PATCH' | 'POST', url: string, payload: object) =>
    t.app.inject({ method, url, payload, headers: { cookie: user.cookie } });

  beforeAll(async () => {
    carol = await registerUser(t.app);
    const still = (size: number) => sharp({ create: { width: size, height: size, channels: 3, background: '#884422' } }).png().toBuffer();
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).gif().toBuffer();
    ids.small = (await upload(carol, await still(8), 'small-moon.png')).json().data.id;
    ids.large = (await upload(carol, await sharp({ create: { width: 64, height: 64, channels: 3, background: 'black', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer(), 'Big sun.png')).json().data.id;
    ids.gif = (await upload(carol, gif, 'wave.gif')).json().data.id;
    // A generated clip, as the gpu-worker stores it: its workflow and prompt in the metadata.
    const [clip] = await t.db
      .insert(schema.media)
      .values({
        userId: carol.id,
        filename: 'clip.webp',
        originalFilename: 'img2video-svd-7.webp',
        mimeType: 'image/webp',
        fileSize: 10,
        storagePath: 'media/none.webp',
        metadata: { workflow: 'img2video-svd', prompt: 'A lighthouse in a storm, 50% rain', width: 64, height: 64 },
      })
      .returning({ id: schema.media.id });
    ids.clip = clip!.id;
  });

  it('finds my pictures by name or prompt, by kind and privacy, sorted as asked, and only mine', async () => {
    await upload(alice, await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).png().toBuffer(), 'small-moon-of-alice.png');
    expect(names(await list(carol, 'q=MOON'))).toEqual(['small-moon.png']);
    expect(names(await list(carol, 'q=lighthouse'))).toEqual(['img2video-svd-7.webp']);
    // A % is a character like any other, not a wildcard.
    expect(names(await list(carol, `q=${encodeURIComponent('50%')}`))).toEqual(['img2video-svd-7.webp']);
    expect(names(await list(carol, `q=${encodeURIComponent('%')}`))).toEqual(['img2video-svd-7.webp']);

    const byKind = async (kind: string) => (await list(carol, `kind=${kind}`)).json().data.map((m: { id: string; kind: string }) => [m.id, m.kind]);
    expect(await byKind('gif')).toEqual([[ids.gif, 'gif']]);
    expect(await byKind('video')).toEqual([[ids.clip, 'video']]);
    expect((await byKind('image')).map(([id]: string[]) => id).sort()).toEqual([ids.small, ids.large].sort());
    const clip = (await list(carol, 'kind=video')).json().data[0];
    expect(clip.prompt).toBe('A lighthouse in a storm, 50% rain');

    expect(names(await list(carol, 'sort=name'))).toEqual(['Big sun.png', 'img2video-svd-7.webp', 'small-moon.png', 'wave.gif']);
    expect(names(await list(carol, 'sort=oldest'))).toEqual(['small-moon.png', 'Big sun.png', 'wave.gif', 'img2video-svd-7.webp']);
    expect(names(await list(carol, 'sort=newest'))).toEqual(['img2video-svd-7.webp', 'wave.gif', 'Big sun.png', 'small-moon.png']);
    const bySize = (await list(carol, 'sort=size')).json().data.map((m: { fileSize: number }) => m.fileSize);
    expect(bySize).toEqual([...bySize].sort((a, b) => b - a));

    const page = await list(carol, 'sort=name&limit=2&page=2');
    expect(names(page)).toEqual(['small-moon.png', 'wave.gif']);
    expect(page.json().pagination).toEqual({ page: 2, limit: 2, total: 4 });

    await send(carol, 'PATCH', `/api/v1/media/${ids.gif}`, { privacy: 'unlisted' });
    expect(names(await list(carol, 'privacy=unlisted'))).toEqual(['wave.gif']);
    expect((await list(bob, 'q=moon')).json().data).toEqual([]);
  });

  it('filters by comic, and refuses a bad query with 400, changing nothing', async () => {
    const comic = (await send(carol, 'POST', '/api/v1/comics', { title: 'Night shift' })).json().data;
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'black' } }).png().toBuffer();
    const inComic = (await upload(carol, png, 'night.png', `?comicId=${comic.id}`)).json().data;
    expect((await list(carol, `comicId=${comic.id}`)).json().data.map((m: { id: string }) => m.id)).toEqual([inComic.id]);

    for (const query of ['kind=pdf', 'sort=random', 'privacy=secret', 'comicId=nope', 'limit=1000', `q=${'x'.repeat(201)}`, 'owner=someone']) {
      const response = await list(carol, query);
      expect(response.statusCode, query).toBe(400);
      expect(response.json()).toMatchObject({ success: false, error: { code: 'validation_error' } });
    }
  });

  it('renames and changes privacy, each in the audit log with the name and the value before and after', async () => {
    const renamed = await send(carol, 'PATCH', `/api/v1/media/${ids.small}`, { filename: 'Crescent moon.png' });
    expect(renamed.json().data.filename).toBe('Crescent moon.png');
    await send(carol, 'PATCH', `/api/v1/media/${ids.small}`, { privacy: 'public' });
    const entries = await t.db
      .select()
      .from(schema.auditLogs)
      .where(and(eq(schema.auditLogs.resourceId, ids.small!), eq(schema.auditLogs.userId, carol.id)))
      .orderBy(desc(schema.auditLogs.createdAt));
    expect(entries.map((e) => [e.action, e.oldValues, e.newValues])).toEqual([
      ['media.privacy_changed', { name: 'Crescent moon.png', privacy: 'private' }, { privacy: 'public' }],
      ['media.renamed', { name: 'small-moon.png' }, { name: 'Crescent moon.png' }],
      ['media.uploaded', null, { name: 'small-moon.png', privacy: 'private' }],
    ]);
    // Someone else's picture is not theirs to rename.
    expect((await send(bob, 'PATCH', `/api/v1/media/${ids.small}`, { filename: 'mine now.png' })).statusCode).toBe(404);
  });

  it('names the comics that show a picture before it is deleted, and counts those I am not in', async () => {
    const comic = async (user: TestUser, title: string, mediaIds: string[] | null, state?: Buffer) => {
      const { id } = (await send(user, 'POST', '/api/v1/comics', { title })).json().data;
      await t.db.update(schema.comics).set({ mediaIds }).where(eq(schema.comics.id, id));
      if (state) await t.db.insert(schema.comicDocuments).values({ comicId: id, state });
      return id as string;
    };
    // A Yjs document keeps the picture's URL as UTF-8 among its bytes.
    const documentWith = (mediaId: string) => Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(`/api/v1/media/${mediaId}/file`), Buffer.from([0])]);

    // Listed by the collab-server at their last store.
    const mine = await comic(carol, 'Moon diary', [ids.large!, ids.small!]);
    await comic(bob, 'Bob’s secret comic', [ids.large!]);
    // Stored before pictures were listed: its document is searched.
    const unlisted = await comic(carol, 'Unrelated', null, documentWith(ids.gif!));
    // Listed without the picture: the bytes of one taken out may linger in a document, the list decides.
    await comic(carol, 'Tidied up', [], documentWith(ids.gif!));
    // Someone else's comic, published with my (public) picture, then taken out of the live comic: still on
    // its published pages.
    const publisher = await registerUser(t.app, 'creator', t.db);
    const published = await comic(publisher, 'Published moon', [ids.small!]);
    await storeSummary(t.db, published, summaryWith({ mediaId: ids.small!, bubble: 'Goodnight' }));
    expect((await send(publisher, 'POST', `/api/v1/comics/${published}/publish`, { visibility: 'public' })).statusCode).toBe(200);
    await storeSummary(t.db, published, summaryWith({ bubble: 'Goodnight' }));
    await t.db.update(schema.comics).set({ mediaIds: [] }).where(eq(schema.comics.id, published));

    const usage = async (mediaId: string) => (await get(carol, `/api/v1/media/${mediaId}/usage`)).json().data;
    expect(await usage(ids.large!)).toEqual({ comics: [{ id: mine, title: 'Moon diary' }], otherComics: 1 });
    expect(await usage(ids.gif!)).toEqual({ comics: [{ id: unlisted, title: 'Unrelated' }], otherComics: 0 });
    expect(await usage(ids.small!)).toEqual({ comics: [{ id: mine, title: 'Moon diary' }], otherComics: 1 });
    expect((await get(bob, `/api/v1/media/${ids.large}/usage`)).statusCode).toBe(404);
  });

  it('uses a picture in a comic: a copy of the comic’s own goes to the chosen panel through a server-side edit', async () => {
    const comic = (await send(carol, 'POST', '/api/v1/comics', { title: 'Placed' })).json().data;
    const panels = { pages: [{ id: 'page:1', name: 'Page 1', bounds: null, panels: [{ id: 'shape:first', x: 0, y: 0, w: 400, h: 300, images: [], text: [], art: [], lettering: [] }] }] };
    await t.db.update(schema.comics).set({ panels }).where(eq(schema.comics.id, comic.id));
    const place = (user: TestUser, mediaId: string, panelId: string) => send(user, 'POST', `/api/v1/media/${mediaId}/place`, { comicId: comic.id, panelId });

    expect((await place(carol, ids.large!, 'shape:gone')).json().error.code).toBe('panel_missing');
    // Not their picture; not their comic.
    expect((await place(bob, ids.large!, 'shape:first')).statusCode).toBe(404);
    const bobs = (await upload(bob, await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).png().toBuffer(), 'b.png')).json().data;
    expect((await place(bob, bobs.id, 'shape:first')).statusCode).toBe(404);
    // A picture a moderator hid stays out of the comic: no copy, no edit.
    const hidden = (await upload(carol, await sharp({ create: { width: 8, height: 8, channels: 3, background: 'blue' } }).png().toBuffer(), 'hidden.png')).json().data;
    await t.db.update(schema.media).set({ moderationState: 'hidden' }).where(eq(schema.media.id, hidden.id));
    expect((await place(carol, hidden.id, 'shape:first')).json().error.code).toBe('media_moderated');
    expect(await t.db.select({ id: schema.media.id }).from(schema.media).where(eq(schema.media.comicId, comic.id))).toEqual([]);

    const placed = await place(carol, ids.large!, 'shape:first');
    expect(placed.statusCode).toBe(202);
    const { mediaId } = placed.json().data;
    expect(mediaId).not.toBe(ids.large);
    const copy = (await get(carol, `/api/v1/media/${mediaId}`)).json().data;
    expect(copy).toMatchObject({ comicId: comic.id, privacy: 'private', filename: 'Big sun.png', width: 64, height: 64 });

    const connection = new Redis(t.config.redisUrl, { maxRetriesPerRequest: null });
    const edits = new Queue<ComicEditJobData>(COMIC_EDITS_QUEUE, { connection, prefix: redisNames(t.config.redisPrefix).bull });
    try {
      const queued = (await edits.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed'])).filter((job) => job.data.comicId === comic.id);
      expect(queued.map((job) => job.data)).toEqual([
        { kind: 'insert-image', jobId: expect.any(String), comicId: comic.id, panelId: 'shape:first', mediaId, width: 64, height: 64 },
      ]);
    } finally {
      await edits.close();
      connection.disconnect();
    }
  });
});

describe('the studio’s generations', () => {
  it('are found by prompt and type, and an ended one is deleted with its picture; a running one must be cancelled first', async () => {
    const dana = await registerUser(t.app);
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'teal' } }).png().toBuffer();
    const picture = (await upload(dana, png, 'result.png')).json().data;
    const job = (values: { type: string; status: string; prompt: string; resultMediaId?: string }) => ({
      userId: dana.id,
      type: values.type,
      workflow: values.type === 'gif' ? 'gif-svd' : 'txt2img-sdxl',
      status: values.status,
      parameters: { prompt: values.prompt },
      resultMediaId: values.resultMediaId ?? null,
    });
    const [done, running, gif] = await t.db
      .insert(schema.jobs)
      .values([
        job({ type: 'image', status: 'completed', prompt: 'A red fox_in snow', resultMediaId: picture.id }),
        job({ type: 'image', status: 'running', prompt: 'A fox at night' }),
        job({ type: 'gif', status: 'failed', prompt: 'Waves' }),
      ])
      .returning({ id: schema.jobs.id });
    const ids = async (query: string) => (await get(dana, `/api/v1/jobs?${query}`)).json().data.map((j: { id: string }) => j.id).sort();
    expect(await ids('q=FOX')).toEqual([done!.id, running!.id].sort());
    expect(await ids('q=fox_in')).toEqual([done!.id]);
    expect(await ids('type=gif')).toEqual([gif!.id]);
    expect((await get(dana, '/api/v1/jobs?type=pdf')).statusCode).toBe(400);

    const remove = (user: TestUser, id: string) => t.app.inject({ method: 'DELETE', url: `/api/v1/jobs/${id}`, headers: { cookie: user.cookie } });
    expect((await remove(bob, done!.id)).statusCode).toBe(404);
    expect((await remove(dana, running!.id)).json().error.code).toBe('still_running');
    expect((await remove(dana, done!.id)).statusCode).toBe(200);
    expect(await ids('')).toEqual([running!.id, gif!.id].sort());
    expect((await get(dana, picture.url)).statusCode).toBe(404);
  });
});
