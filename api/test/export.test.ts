// Exports through the real API: a comic with two pages, a picture uploaded into it and lettering, exported
// as PDF (opened and its text extracted), CBZ (unzipped, ComicInfo.xml validated against the schema's XSD)
// and PNG, by its members and refused to everyone else.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { unzipSync, strFromU8 } from 'fflate';
import sharp from 'sharp';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { type ComicSummary, schema } from '@inkwell/db';
import { type TestApp, type TestUser, createTestApp, expectError, multipartFile, registerUser } from './helper.ts';

let t: TestApp;
let storageDir: string;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  storageDir = await mkdtemp(join(tmpdir(), 'inkwell-export-'));
  t = await createTestApp({ storage: { driver: 'local', dir: storageDir } });
  [owner, editor, viewer, stranger] = await Promise.all([registerUser(t.app), registerUser(t.app), registerUser(t.app), registerUser(t.app)]);
});
afterAll(async () => {
  await t.close();
  await rm(storageDir, { recursive: true, force: true });
});

const call = (user: TestUser | null, url: string) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: user ? { cookie: user.cookie } : {} });

/** Two pages, 800×600 and 800×1000 on the canvas: a picture in the first panel, a bubble and a caption. */
function summary(mediaId: string): ComicSummary {
  const lettering = (id: string, kind: 'speech' | 'caption', text: string, x: number, y: number) => ({
    id,
    kind,
    x,
    y,
    w: 260,
    h: 140,
    tail: kind === 'caption' ? null : { x: x + 100, y: y + 220 },
    text,
    font: kind === 'caption' ? 'serif' : 'draw',
    size: 'm',
    align: 'middle',
    color: 'black',
  });
  return {
    pages: [
      {
        id: 'page:1',
        name: 'Page 1',
        bounds: { x: 0, y: 0, w: 800, h: 600 },
        panels: [
          {
            id: 'shape:a',
            x: 0,
            y: 0,
            w: 390,
            h: 600,
            images: [mediaId],
            text: ['Storm tonight, keeper!'],
            art: [{ mediaId, x: -50, y: 0, w: 500, h: 600 }],
            lettering: [lettering('shape:b1', 'speech', 'Storm tonight, keeper!', 40, 40)],
          },
          { id: 'shape:b', x: 410, y: 0, w: 390, h: 600, images: [], text: [], art: [], lettering: [] },
        ],
      },
      {
        id: 'page:2',
        name: 'Page 2',
        bounds: { x: 0, y: 1000, w: 800, h: 1000 },
        panels: [
          {
            id: 'shape:c',
            x: 0,
            y: 1000,
            w: 800,
            h: 1000,
            images: [],
            text: ['Meanwhile, the lamp went dark.'],
            art: [],
            lettering: [lettering('shape:c1', 'caption', 'Meanwhile, the lamp went dark.', 20, 1020)],
          },
        ],
      },
    ],
  };
}

async function newComic(title: string, stored?: (mediaId: string) => unknown) {
  const created = await t.app.inject({ method: 'POST', url: '/api/v1/comics', headers: { cookie: owner.cookie }, payload: { title, description: 'A keeper & a storm' } });
  const comic = created.json().data as { id: string };
  for (const [member, role] of [[editor, 'editor'], [viewer, 'viewer']] as const) {
    await t.app.inject({ method: 'POST', url: `/api/v1/comics/${comic.id}/members`, headers: { cookie: owner.cookie }, payload: { username: member.username, role } });
  }
  const picture = await sharp({ create: { width: 50, height: 60, channels: 3, background: '#1e90ff' } }).png().toBuffer();
  const form = multipartFile(picture, 'sea.png', 'image/png');
  const uploaded = await t.app.inject({ method: 'POST', url: `/api/v1/media?comicId=${comic.id}`, payload: form.payload, headers: { ...form.headers, cookie: owner.cookie } });
  const mediaId = uploaded.json().data.id as string;
  // What the collab-server derives from the canvas when it stores the document.
  await t.db.update(schema.comics).set({ panels: stored ? stored(mediaId) : summary(mediaId) }).where(eq(schema.comics.id, comic.id));
  return { id: comic.id, mediaId };
}

describe('comic export', () => {
  it('PDF: one page per comic page, the page art as an image and the lettering as text in the canvas font', async () => {
    const comic = await newComic('The Lighthouse: Part 1');
    const response = await call(viewer, `/comics/${comic.id}/export?format=pdf`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers['content-disposition']).toBe('attachment; filename="The-Lighthouse-Part-1.pdf"');
    const pdf = await getDocumentProxy(new Uint8Array(response.rawPayload));
    expect(pdf.numPages).toBe(2);
    const { text } = await extractText(pdf);
    expect(text[0]).toMatch(/Storm tonight,\s*keeper!/);
    expect(text[1]).toMatch(/Meanwhile, the lamp\s*went dark\./);
    // Page sizes follow the page bounds and their 12-unit margin (a canvas unit is 0.75 pt).
    const first = await pdf.getPage(1);
    expect(first.view).toEqual([0, 0, 618, 468]);
    // Each line of text sits inside its bubble (40..300 × 40..180 on the canvas; PDF y grows upwards).
    const items = (await first.getTextContent()).items.filter((item) => 'str' in item && item.str.trim());
    expect(items.length).toBeGreaterThan(0);
    for (const item of items as { transform: number[] }[]) {
      const [x, y] = [item.transform[4]! / 0.75 - 12, (468 - item.transform[5]!) / 0.75 - 12];
      expect(x).toBeGreaterThan(40);
      expect(x).toBeLessThan(300);
      expect(y).toBeGreaterThan(40);
      expect(y).toBeLessThan(180);
    }
    // tldraw's fonts are embedded (subsets of them): Shantell Sans for 'draw', IBM Plex Serif for 'serif'.
    const raw = response.rawPayload.toString('latin1');
    expect(raw).toMatch(/\/FontName \/[A-Z]{6}\+ShantellSans/);
    expect(raw).toMatch(/\/FontName \/[A-Z]{6}\+IBMPlexSerif/);
  });

  it('CBZ: ComicInfo.xml valid against the v2.0 schema, and one lettered PNG per page at the size it states', async () => {
    const comic = await newComic('Keeper <of> the "Light"');
    const response = await call(editor, `/comics/${comic.id}/export?format=cbz`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('application/vnd.comicbook+zip');
    expect(response.headers['content-disposition']).toBe('attachment; filename="Keeper-of-the-Light.cbz"');
    const files = unzipSync(new Uint8Array(response.rawPayload));
    expect(Object.keys(files).sort()).toEqual(['001.png', '002.png', 'ComicInfo.xml']);

    const xml = strFromU8(files['ComicInfo.xml']!);
    const xsd = await readFile(new URL('./fixtures/ComicInfo.xsd', import.meta.url), 'utf8');
    const validation = await validateXML({ xml: [{ fileName: 'ComicInfo.xml', contents: xml }], schema: [xsd] });
    expect(validation.errors).toEqual([]);
    expect(validation.valid).toBe(true);
    expect(xml).toContain('<Title>Keeper &lt;of&gt; the &quot;Light&quot;</Title>');
    expect(xml).toContain('<Summary>A keeper &amp; a storm</Summary>');
    // Writers are those who may write: the owner and the editors, not the viewers.
    expect(xml).toContain(`<Writer>${owner.username}, ${editor.username}</Writer>`);
    expect(xml).toContain('<PageCount>2</PageCount>');
    expect(xml).toContain('<Manga>No</Manga>');
    expect(xml).toContain('<AgeRating>Unknown</AgeRating>');

    const sizes = [...xml.matchAll(/<Page Image="(\d)"[^>]* ImageWidth="(\d+)" ImageHeight="(\d+)"/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
    expect(sizes).toEqual([
      [0, 1600, 1212],
      [1, 1600, 1988],
    ]);
    for (const [index, name] of ['001.png', '002.png'].entries()) {
      const meta = await sharp(files[name]!).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', sizes[index]![1], sizes[index]![2]]);
    }
    // The picture uploaded into the comic is drawn in its panel.
    const { data, info } = await sharp(files['001.png']!).raw().toBuffer({ resolveWithObject: true });
    const i = (1100 * info.width + 100) * info.channels;
    expect([data[i], data[i + 1], data[i + 2]]).toEqual([0x1e, 0x90, 0xff]);
  });

  it('a ComicInfo.xml that breaks the schema fails the validation (the check can fail)', async () => {
    const xsd = await readFile(new URL('./fixtures/ComicInfo.xsd', import.meta.url), 'utf8');
    const broken = '<?xml version="1.0"?><ComicInfo><PageCount>2</PageCount><Title>Wrong order</Title><Manga>Maybe</Manga></ComicInfo>';
    expect((await validateXML({ xml: [{ fileName: 'ComicInfo.xml', contents: broken }], schema: [xsd] })).valid).toBe(false);
  });

  it('PNG: one lettered page, the first unless asked, of the page size; a page past the end is not found', async () => {
    const comic = await newComic('Lighthouse');
    const first = await call(viewer, `/comics/${comic.id}/export?format=png`);
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('image/png');
    expect(Number(first.headers['content-length'])).toBe(first.rawPayload.length);
    expect(first.headers['content-disposition']).toBe('attachment; filename="Lighthouse-page-1.png"');
    expect(await sharp(first.rawPayload).metadata()).toMatchObject({ format: 'png', width: 1600, height: 1212 });
    const second = await call(viewer, `/comics/${comic.id}/export?format=png&page=2`);
    expect(await sharp(second.rawPayload).metadata()).toMatchObject({ width: 1600, height: 1988 });
    expectError(await call(viewer, `/comics/${comic.id}/export?format=png&page=3`), 404, 'not_found');
  });

  it('is refused to non-members and visitors as if the comic did not exist, and to bad formats', async () => {
    const comic = await newComic('Private Light');
    for (const user of [stranger, null]) {
      for (const format of ['pdf', 'cbz', 'png']) expectError(await call(user, `/comics/${comic.id}/export?format=${format}`), 404, 'not_found');
    }
    expectError(await call(owner, `/comics/${comic.id}/export?format=docx`), 400);
    expectError(await call(owner, `/comics/${comic.id}/export?format=png&page=0`), 400);
  });

  it('exports a published comic to anyone from its snapshot, while members export the canvas as it is now', async () => {
    const comic = await newComic('Published Light');
    const [row] = await t.db.select({ panels: schema.comics.panels }).from(schema.comics).where(eq(schema.comics.id, comic.id));
    const published = row!.panels as ComicSummary;
    // What publishing stores (its images are not what exports draw from); then the canvas changes.
    const snapshot = { id: 'snap', title: 'Published Light', description: null, author: owner.username, summary: published, pages: [], cover: { key: 'k', width: 1, height: 1, pageIndex: 0 }, altTexts: {}, prompts: {}, slug: 'published-light' };
    const now = new Date();
    await t.db
      .update(schema.comics)
      .set({ isPublished: true, privacy: 'unlisted', publishedAt: now, publishedFrom: now, publishedSnapshot: snapshot as schema.PublishedSnapshot })
      .where(eq(schema.comics.id, comic.id));
    const edited = structuredClone(published);
    edited.pages[0]!.panels[0]!.lettering[0]!.text = 'Edited after publishing';
    await t.db.update(schema.comics).set({ panels: edited }).where(eq(schema.comics.id, comic.id));

    const textOf = async (user: TestUser | null) => {
      const response = await call(user, `/comics/${comic.id}/export?format=pdf`);
      expect(response.statusCode, response.body).toBe(200);
      return (await extractText(await getDocumentProxy(new Uint8Array(response.rawPayload)), { mergePages: true })).text;
    };
    for (const reader of [null, stranger]) expect(await textOf(reader)).toMatch(/Storm tonight,\s*keeper!/);
    expect(await textOf(viewer)).toMatch(/Edited after\s*publishing/);
  });

  it('exports a comic whose picture was deleted (the panel is empty) and a comic with no pages yet as one blank page', async () => {
    const comic = await newComic('Lost Picture');
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/media/${comic.mediaId}`, headers: { cookie: owner.cookie } })).statusCode).toBe(200);
    const response = await call(owner, `/comics/${comic.id}/export?format=png`);
    expect(response.statusCode).toBe(200);
    const { data, info } = await sharp(response.rawPayload).raw().toBuffer({ resolveWithObject: true });
    const i = (1100 * info.width + 100) * info.channels;
    expect([data[i], data[i + 1], data[i + 2]]).toEqual([255, 255, 255]);

    // A comic whose canvas was never stored has one blank page, as the canvas shows it.
    const blank = await newComic('Blank', () => []);
    const pdf = await call(owner, `/comics/${blank.id}/export`);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect((await getDocumentProxy(new Uint8Array(pdf.rawPayload))).numPages).toBe(1);
  });

  it('reads a summary written before pictures had boxes: each picture fills its panel', async () => {
    const comic = await newComic('Old Summary', (mediaId) => ({
      pages: [{ id: 'page:1', name: 'Page 1', panels: [{ id: 'shape:a', x: 0, y: 0, w: 400, h: 300, images: [mediaId], text: ['Hello'] }] }],
    }));
    const response = await call(owner, `/comics/${comic.id}/export?format=png`);
    expect(response.statusCode).toBe(200);
    const { data, info } = await sharp(response.rawPayload).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([1600, 1223]);
    const i = (600 * info.width + 800) * info.channels;
    expect([data[i], data[i + 1], data[i + 2]]).toEqual([0x1e, 0x90, 0xff]);
  });
});
