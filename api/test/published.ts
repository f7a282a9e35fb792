// Comics with a summary in `comics.panels`, as the collab-server stores it, for the publishing and reading tests.
import { eq, sql } from 'drizzle-orm';
import sharp from 'sharp';
import { type ComicSummary, schema } from '@inkwell/db';
import { type TestApp, type TestUser, multipartFile } from './helper.ts';

/** One page, two panels side by side; the left one holds the picture, a bubble and a caption. */
export function summaryWith(opts: { mediaId?: string; bubble: string; caption?: string }): ComicSummary {
  const art = opts.mediaId ? [{ mediaId: opts.mediaId, x: 0, y: 0, w: 400, h: 300 }] : [];
  const lettering = [
    { id: 'shape:bubble', kind: 'speech' as const, x: 20, y: 20, w: 200, h: 100, tail: { x: 120, y: 200 }, text: opts.bubble, font: 'draw', size: 'm', align: 'middle', color: 'black' },
    ...(opts.caption === undefined
      ? []
      : [{ id: 'shape:caption', kind: 'caption' as const, x: 0, y: 240, w: 400, h: 60, tail: null, text: opts.caption, font: 'sans', size: 's', align: 'start', color: 'black' }]),
  ];
  return {
    pages: [
      {
        id: 'page:one',
        name: 'Page 1',
        bounds: { x: 0, y: 0, w: 800, h: 300 },
        panels: [
          { id: 'shape:left', x: 0, y: 0, w: 400, h: 300, images: art.map((a) => a.mediaId), text: lettering.map((l) => l.text), art, lettering },
          { id: 'shape:right', x: 400, y: 0, w: 400, h: 300, images: [], text: [], art: [], lettering: [] },
        ],
      },
    ],
  };
}

/** What the collab-server does when it stores the document: a new summary and a later `updated_at`. */
export async function storeSummary(db: TestApp['db'], comicId: string, summary: ComicSummary): Promise<void> {
  await db
    .update(schema.comics)
    .set({ panels: summary, updatedAt: sql`greatest(now(), ${schema.comics.updatedAt} + interval '1 millisecond')` })
    .where(eq(schema.comics.id, comicId));
}

/** A picture uploaded by `user`, with the prompt that "drew" it. */
export async function uploadPicture(t: TestApp, user: TestUser, prompt: string): Promise<string> {
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } }).png().toBuffer();
  const form = multipartFile(png, 'art.png');
  const response = await t.app.inject({ method: 'POST', url: '/api/v1/media', payload: form.payload, headers: { ...form.headers, cookie: user.cookie } });
  if (response.statusCode !== 201) throw new Error(`upload failed: ${response.body}`);
  const id: string = response.json().data.id;
  await t.db
    .update(schema.media)
    .set({ metadata: sql`${schema.media.metadata} || ${JSON.stringify({ prompt })}::jsonb` })
    .where(eq(schema.media.id, id));
  return id;
}

/** A comic of `owner` (who must be allowed to publish) with one page, published with the visibility given. */
export async function publishedComic(t: TestApp, owner: TestUser, visibility: 'public' | 'unlisted' = 'public') {
  const created = await t.app.inject({ method: 'POST', url: '/api/v1/comics', payload: { title: 'Published' }, headers: { cookie: owner.cookie } });
  const id: string = created.json().data.id;
  await storeSummary(t.db, id, summaryWith({ bubble: 'Hello' }));
  const published = await t.app.inject({ method: 'POST', url: `/api/v1/comics/${id}/publish`, payload: { visibility }, headers: { cookie: owner.cookie } });
  if (published.statusCode !== 200) throw new Error(`publish failed: ${published.body}`);
  const [row] = await t.db.select({ snapshot: schema.comics.publishedSnapshot }).from(schema.comics).where(eq(schema.comics.id, id));
  return { id, snapshotId: row!.snapshot!.id };
}
