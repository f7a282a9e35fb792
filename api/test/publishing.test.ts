import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import { PUBLIC_CACHE } from '../src/lib/moderation.ts';
import { PAGE_MARGIN } from '../src/services/page-render.ts';
import { type TestApp, type TestUser, auditActions, createTestApp, registerUser } from './helper.ts';
import { storeSummary, summaryWith, uploadPicture } from './published.ts';

let t: TestApp;
let storageDir: string;
let owner: TestUser;
const members = new Map<string, TestUser>();
let pictureId: string;

beforeAll(async () => {
  storageDir = await mkdtemp(join(tmpdir(), 'inkwell-publishing-'));
  t = await createTestApp({ storage: { driver: 'local', dir: storageDir } });
  owner = await registerUser(t.app, 'creator', t.db);
  // Members and strangers who could publish their own comics: only being the owner is missing.
  for (const name of ['editor', 'viewer', 'creator', 'admin', 'super_admin'] as const) {
    members.set(name, await registerUser(t.app, name === 'editor' || name === 'viewer' ? 'creator' : name, t.db));
  }
  pictureId = await uploadPicture(t, owner, 'a lighthouse in a storm');
});
afterAll(async () => {
  await t.close();
  await rm(storageDir, { recursive: true, force: true });
});

function call(user: TestUser | null, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) {
  return t.app.inject({ method, url: `/api/v1${url}`, headers: user ? { cookie: user.cookie } : {}, ...(payload && { payload }) });
}

async function newComic(bubble = 'Where are we?', title = 'The Lighthouse') {
  const comic = (await call(owner, 'POST', '/comics', { title, description: 'A keeper & a storm' })).json().data as { id: string };
  for (const role of ['editor', 'viewer'] as const) {
    expect((await call(owner, 'POST', `/comics/${comic.id}/members`, { username: members.get(role)!.username, role })).statusCode).toBe(201);
  }
  await storeSummary(t.db, comic.id, summaryWith({ mediaId: pictureId, bubble, caption: 'Night.' }));
  return comic.id;
}

async function publicationRow(comicId: string) {
  const [row] = await t.db.select().from(schema.comics).where(eq(schema.comics.id, comicId));
  return row!;
}

describe('publishing', () => {
  it('only the owner with content:publish publishes and unpublishes: members 403, strangers 404, visitors 401', async () => {
    const comicId = await newComic();
    const plainOwner = await registerUser(t.app);
    const plainComic = (await call(plainOwner, 'POST', '/comics', { title: 'Mine' })).json().data.id as string;
    await storeSummary(t.db, plainComic, summaryWith({ bubble: 'Hi' }));
    const before = await publicationRow(comicId);

    for (const action of ['publish', 'unpublish']) {
      const body = action === 'publish' ? { visibility: 'public' } : undefined;
      const refusals: [TestUser | null, string, number][] = [
        [members.get('editor')!, comicId, 403],
        [members.get('viewer')!, comicId, 403],
        [members.get('creator')!, comicId, 404],
        [members.get('admin')!, comicId, 404],
        [members.get('super_admin')!, comicId, 404],
        [null, comicId, 401],
        // Owns the comic, but the site's role does not allow publishing.
        [plainOwner, plainComic, 403],
      ];
      for (const [user, id, status] of refusals) {
        expect((await call(user, 'POST', `/comics/${id}/${action}`, body)).statusCode, `${action} as ${user?.username ?? 'visitor'}`).toBe(status);
      }
    }
    expect(await publicationRow(comicId)).toEqual(before);
    expect((await publicationRow(plainComic)).isPublished).toBe(false);

    const published = await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'unlisted' });
    expect(published.statusCode).toBe(200);
    expect(published.json().data).toMatchObject({ visibility: 'unlisted', readerUrl: `${t.config.publicUrl}/read/${comicId}/the-lighthouse`, hasUnpublishedChanges: false });
    expect((await call(owner, 'POST', `/comics/${comicId}/unpublish`)).statusCode).toBe(200);
    expect(await publicationRow(comicId)).toMatchObject({ isPublished: false, privacy: 'private', publishedSnapshot: null });
    // For moderation: who published and unpublished, and when.
    expect(await auditActions(t.db, owner.id)).toEqual(expect.arrayContaining(['comic.published', 'comic.unpublished']));
  });

  it('readers keep the published snapshot while the canvas changes, until the owner publishes again', async () => {
    const comicId = await newComic('Where are we?');
    await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public' });
    const first = (await call(null, 'GET', `/read/${comicId}`)).json().data;
    const oldImage = first.pages[0].image.url;

    // The collab-server stores an edit: new text in the summary, a later updated_at.
    await storeSummary(t.db, comicId, summaryWith({ mediaId: pictureId, bubble: 'Changed on the canvas' }));
    const after = await call(null, 'GET', `/read/${comicId}`);
    expect(after.json().data).toEqual(first);
    expect((await call(owner, 'GET', `/comics/${comicId}`)).json().data.publication.hasUnpublishedChanges).toBe(true);
    // Someone who is not a member reads the comic's detail from the snapshot too, never the live summary.
    const outsiderView = (await call(members.get('creator')!, 'GET', `/comics/${comicId}`)).json().data;
    expect(JSON.stringify(outsiderView.panels)).toContain('Where are we?');
    expect(JSON.stringify(outsiderView.panels)).not.toContain('Changed on the canvas');
    // A new title and description are unpublished changes too: outsiders see the published ones.
    await call(owner, 'PATCH', `/comics/${comicId}`, { title: 'Working title', description: 'Not ready' });
    const renamed = (await call(members.get('creator')!, 'GET', `/comics/${comicId}`)).json().data;
    expect([renamed.title, renamed.description]).toEqual(['The Lighthouse', 'A keeper & a storm']);
    // Nor are they told that the owner has been working on it since.
    expect(renamed.publication.hasUnpublishedChanges).toBe(false);
    expect((await call(owner, 'GET', `/comics/${comicId}`)).json().data.title).toBe('Working title');

    await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public' });
    const updated = (await call(null, 'GET', `/read/${comicId}`)).json().data;
    expect(updated.pages[0].panels[0].lettering[0].text).toBe('Changed on the canvas');
    expect(updated.publishedAt).toBe(first.publishedAt);
    expect((await call(owner, 'GET', `/comics/${comicId}`)).json().data.publication.hasUnpublishedChanges).toBe(false);
    // The older publication's images went with it; the new ones have new addresses.
    expect(updated.pages[0].image.url).not.toBe(oldImage);
    expect((await t.app.inject({ url: oldImage })).statusCode).toBe(404);
    expect((await t.app.inject({ url: updated.pages[0].image.url })).statusCode).toBe(200);
  });

  it('another API instance shows readers the newest publication and its reads: what a snapshot shows is kept by snapshot, not by comic', async () => {
    const other = await createTestApp({ storage: { driver: 'local', dir: storageDir } });
    try {
      const readOn = async (app: TestApp) => (await app.app.inject({ url: `/api/v1/read/${comicId}` })).json().data;
      const comicId = await newComic('Where are we?');
      await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public' });
      const first = await readOn(other);
      expect(first.pages[0].panels[0].lettering[0].text).toBe('Where are we?');

      // Published again through this instance: the other one, which showed the first publication, shows the new one.
      await storeSummary(t.db, comicId, summaryWith({ mediaId: pictureId, bubble: 'Changed on the canvas' }));
      await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public' });
      await call(null, 'POST', `/read/${comicId}/view`);
      const second = await readOn(other);
      expect(second.pages[0].panels[0].lettering[0].text).toBe('Changed on the canvas');
      expect(second.readCount).toBe(1);
      expect((await other.app.inject({ url: first.pages[0].image.url })).statusCode).toBe(404);
      expect((await other.app.inject({ url: second.pages[0].image.url })).statusCode).toBe(200);
      expect(await readOn(t)).toEqual(second);

      // Unpublished here: gone there too, although it was read there a moment ago.
      await call(owner, 'POST', `/comics/${comicId}/unpublish`);
      expect((await other.app.inject({ url: `/api/v1/read/${comicId}` })).statusCode).toBe(404);
    } finally {
      await other.close();
    }
  });

  it('answers 404 for comics that are private, never published, or unpublished after being unlisted', async () => {
    const neverPublished = await newComic();
    const unlisted = await newComic();
    await call(owner, 'POST', `/comics/${unlisted}/publish`, { visibility: 'unlisted' });
    const reader = (await call(null, 'GET', `/read/${unlisted}`)).json().data;
    expect(reader.visibility).toBe('unlisted');
    expect((await t.app.inject({ url: reader.cover.url })).statusCode).toBe(200);
    await call(owner, 'POST', `/comics/${unlisted}/unpublish`);

    for (const id of [neverPublished, unlisted, crypto.randomUUID()]) {
      for (const user of [null, members.get('viewer')!, owner]) {
        for (const [method, url] of [['GET', `/read/${id}`], ['POST', `/read/${id}/view`]] as const) {
          const response = await call(user, method, url);
          expect(response.statusCode, `${method} ${url}`).toBe(404);
          expect(response.json().error.code).toBe('not_found');
        }
      }
    }
    expect((await t.app.inject({ url: reader.cover.url })).statusCode).toBe(404);
    expect((await call(null, 'GET', `/comics/${unlisted}`)).statusCode).toBe(404);
  });

  it('gives readers the snapshot as they need it: boxes as fractions of the page, lettering as plain text, alt texts', async () => {
    const markup = '<img src=x onerror=alert(1)> & "quotes"\nsecond line';
    const comicId = await newComic(markup, '<b>Bold</b> Title');
    const response = await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public', altTexts: { 'shape:right': 'An empty sky' } });
    expect(response.json().data.readerUrl).toMatch(/\/read\/[\w-]+\/b-bold-b-title$/);
    const data = (await call(null, 'GET', `/read/${comicId}`)).json().data;

    expect(data).toMatchObject({ id: comicId, slug: 'b-bold-b-title', title: '<b>Bold</b> Title', description: 'A keeper & a storm', author: { username: owner.username }, readCount: 0 });
    const [page] = data.pages;
    // The page image covers the 800 × 300 of panels and a white margin around them; boxes are fractions of it.
    const area = { x: -PAGE_MARGIN, y: -PAGE_MARGIN, w: 800 + 2 * PAGE_MARGIN, h: 300 + 2 * PAGE_MARGIN };
    const share = (value: number) => Math.round(value * 100_000) / 100_000;
    const at = (x: number, y: number) => ({ x: share((x - area.x) / area.w), y: share((y - area.y) / area.h) });
    const box = (x: number, y: number, w: number, h: number) => ({ ...at(x, y), w: share(w / area.w), h: share(h / area.h) });
    expect(page.image).toMatchObject({ width: 1600, height: Math.round((1600 * area.h) / area.w) });
    expect(page.image.srcset.split(', ').map((entry: string) => entry.split(' ')[1])).toEqual(['480w', '800w', '1200w', '1600w']);
    expect(data.cover).toMatchObject({ width: 1200, height: Math.round((1200 * area.h) / area.w) });
    const [left, right] = page.panels;
    expect(left).toMatchObject({ id: 'shape:left', ...box(0, 0, 400, 300), alt: 'a lighthouse in a storm' });
    expect(right).toMatchObject({ id: 'shape:right', ...box(400, 0, 400, 300), alt: 'An empty sky', lettering: [] });
    // A speech bubble's text sits in the square inscribed in its ellipse, a caption's inside its padding; the
    // type sizes are tldraw's (16 × 1.375 and 16 × 1.125 canvas units), all scaling with the page. The bubble's
    // text does not fit its box at 22: it is set smaller, as the canvas sets it (down to half).
    const inset = (1 - Math.SQRT1_2) / 2;
    const shrunk = left.lettering[0].fontSize;
    expect(shrunk).toBeLessThan(share(22 / area.w));
    expect(shrunk).toBeGreaterThanOrEqual(share(11 / area.w));
    expect(left.lettering).toEqual([
      {
        id: 'shape:bubble', kind: 'speech', ...box(20, 20, 200, 100), tail: at(120, 200),
        textBox: box(20 + 200 * inset, 20 + 100 * inset, 200 * Math.SQRT1_2, 100 * Math.SQRT1_2),
        text: markup, font: 'draw', size: 'm', fontSize: shrunk, align: 'middle', color: '#1d1d1d',
      },
      {
        id: 'shape:caption', kind: 'caption', ...box(0, 240, 400, 60), tail: null, textBox: box(10, 250, 380, 40),
        text: 'Night.', font: 'sans', size: 's', fontSize: share(18 / area.w), align: 'start', color: '#1d1d1d',
      },
    ]);

    // The author's alt text stays through an update; an empty one brings the fallback back.
    await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public' });
    expect((await call(null, 'GET', `/read/${comicId}`)).json().data.pages[0].panels[1].alt).toBe('An empty sky');
    await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public', altTexts: { 'shape:right': '' } });
    expect((await call(null, 'GET', `/read/${comicId}`)).json().data.pages[0].panels[1].alt).toBe('Panel 2');
  });

  it("tells the owner's Publish dialog each panel's text, prompt and alt text, and the publication", async () => {
    const comicId = await newComic('Hello?');
    const before = (await call(owner, 'GET', `/comics/${comicId}/publication`)).json().data;
    expect(before).toEqual({
      publication: null,
      coverPageIndex: 0,
      pages: [
        {
          id: 'page:one',
          name: 'Page 1',
          panels: [
            { id: 'shape:left', text: ['Hello?', 'Night.'], prompt: 'a lighthouse in a storm', altText: null },
            { id: 'shape:right', text: [], prompt: null, altText: null },
          ],
        },
      ],
    });
    await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'unlisted', altTexts: { 'shape:right': 'Sky' } });
    const after = (await call(owner, 'GET', `/comics/${comicId}/publication`)).json().data;
    expect(after.publication).toMatchObject({ visibility: 'unlisted', hasUnpublishedChanges: false });
    expect(after.pages[0].panels[1].altText).toBe('Sky');
    expect((await call(members.get('editor')!, 'GET', `/comics/${comicId}/publication`)).statusCode).toBe(403);
  });

  it('refuses what cannot be published: no pages, a cover page or a panel that does not exist', async () => {
    const empty = (await call(owner, 'POST', '/comics', { title: 'Empty' })).json().data.id;
    expect((await call(owner, 'POST', `/comics/${empty}/publish`, { visibility: 'public' })).json().error.code).toBe('nothing_to_publish');
    const comicId = await newComic();
    expect((await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public', coverPageIndex: 1 })).json().error.code).toBe('invalid_cover');
    expect((await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public', altTexts: { 'shape:nope': 'x' } })).json().error.code).toBe('unknown_panel');
    expect((await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'private' })).statusCode).toBe(400);
    expect((await publicationRow(comicId)).isPublished).toBe(false);
  });

  it('serves page images and covers as WebP at the widths asked, cacheable but not forever', async () => {
    const comicId = await newComic();
    await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public', coverPageIndex: 0 });
    const { pages, cover } = (await call(null, 'GET', `/read/${comicId}`)).json().data;
    const base = pages[0].image.url.split('?')[0];
    for (const [url, width] of [[`${base}?w=480`, 480], [`${base}?w=1600`, 1600], [pages[0].image.url, 1200], [`${cover.url.split('?')[0]}?w=1600`, 1200]] as const) {
      const response = await t.app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toBe('image/webp');
      expect(response.headers['cache-control']).toBe(PUBLIC_CACHE);
      const meta = await sharp(response.rawPayload).metadata();
      expect([meta.format, meta.width]).toEqual(['webp', width]);
    }
    expect((await t.app.inject({ url: `${base}?w=1000` })).statusCode).toBe(400);
    expect((await t.app.inject({ url: base.replace('page-0', 'page-7') })).statusCode).toBe(404);
  });

  it('removes the published images from storage when the comic is unpublished, published again or deleted', async () => {
    const imagesOf = async (comicId: string) => (await readdir(join(storageDir, 'published', comicId), { recursive: true }).catch(() => [])).filter((f) => f.endsWith('.png') || f.endsWith('.webp'));
    const comicId = await newComic();
    await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public' });
    const { pages } = (await call(null, 'GET', `/read/${comicId}`)).json().data;
    await t.app.inject({ url: pages[0].image.url });
    // A page and the cover, and the page's copy at 1200 pixels.
    expect(await imagesOf(comicId)).toHaveLength(3);
    await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public' });
    expect(await imagesOf(comicId)).toHaveLength(2);
    await call(owner, 'POST', `/comics/${comicId}/unpublish`);
    expect(await imagesOf(comicId)).toEqual([]);
    await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public' });
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/comics/${comicId}`, headers: { cookie: owner.cookie } })).statusCode).toBe(200);
    expect(await imagesOf(comicId)).toEqual([]);
  });

  it('counts reads without keeping who read', async () => {
    const comicId = await newComic();
    await call(owner, 'POST', `/comics/${comicId}/publish`, { visibility: 'public' });
    expect((await call(null, 'POST', `/read/${comicId}/view`)).json().data.readCount).toBe(1);
    expect((await call(members.get('creator')!, 'POST', `/read/${comicId}/view`)).json().data.readCount).toBe(2);
    expect((await call(null, 'GET', `/read/${comicId}`)).json().data.readCount).toBe(2);
  });
});
