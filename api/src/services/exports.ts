// Exports of a comic as PDF, CBZ or one PNG page: members export what the canvas holds now (its summary,
// `comics.panels`), anyone else the snapshot taken when the comic was published.
import type { Readable } from 'node:stream';
import { and, eq, inArray, or, sql } from 'drizzle-orm';
import type { Database, PageSummary } from '@inkwell/db';
import { schema } from '@inkwell/db';
import type { ObjectStorage } from '@inkwell/storage';
import { notFound } from '../errors.ts';
import { normalizeSummary } from '../lib/comic-summary.ts';
import { pictureSeenBy, seesModerated, sharedPicture } from '../lib/moderation.ts';
import { type ComicFile, comicCbz, comicPdf } from './comic-files.ts';
import type { ComicService } from './comics.ts';
import { renderPage, withMargin } from './page-render.ts';
import type { Auth } from './sessions.ts';

const { comicMembers, comics, media, users } = schema;

/** Page images are this wide in every export (twice a typical page's canvas width, for print). */
export const EXPORT_WIDTH = 1600;

/** Pages drawn at once by this process, across all exports. */
const RENDERS_AT_ONCE = 2;

export type ExportFormat = 'pdf' | 'cbz' | 'png';

export interface ExportFile {
  filename: string;
  contentType: string;
  body: Readable | Buffer;
}

const CONTENT_TYPES: Record<ExportFormat, string> = { pdf: 'application/pdf', cbz: 'application/vnd.comicbook+zip', png: 'image/png' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A file name from the title: letters, digits and dashes only, so it is safe in any header and file system. */
export function exportFilename(title: string, extension: string): string {
  const base = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
  return `${base || 'comic'}.${extension}`;
}

/** The pages of a stored summary as exports draw them: with a margin around the panels, as on paper. */
export function summaryPages(stored: unknown): PageSummary[] {
  return normalizeSummary(stored).pages.map(withMargin);
}

/** Runs at most `limit` tasks at a time; the others wait their turn, first come first served. */
function createLimiter(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      // The slot passes straight to the next in line, or is freed.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

export function createExportService(deps: { db: Database; storage: ObjectStorage; comics: Pick<ComicService, 'roleOf'> }) {
  const { db, storage } = deps;

  /** What the caller may export: members the canvas as it is now, anyone else a published comic's snapshot. */
  async function source(actor: Auth | null, comicId: string) {
    const [comic] = await db
      .select({
        title: comics.title,
        description: comics.description,
        panels: comics.panels,
        isPublished: comics.isPublished,
        privacy: comics.privacy,
        snapshot: comics.publishedSnapshot,
        ownerId: comics.userId,
        moderationState: comics.moderationState,
      })
      .from(comics)
      .where(eq(comics.id, comicId));
    if (!comic) throw notFound('Comic');
    if (actor && (await deps.comics.roleOf(actor.user.id, comicId))) return { title: comic.title, description: comic.description, summary: comic.panels };
    const readable = comic.isPublished && comic.privacy !== 'private' && seesModerated(actor, comic.ownerId, comic.moderationState);
    const snapshot = readable ? comic.snapshot : null;
    if (snapshot) return { title: snapshot.title, description: snapshot.description, summary: snapshot.summary };
    throw notFound('Comic');
  }

  async function writers(comicId: string): Promise<string[]> {
    const rows = await db
      .select({ username: users.username })
      .from(comicMembers)
      .innerJoin(users, eq(users.id, comicMembers.userId))
      .where(and(eq(comicMembers.comicId, comicId), inArray(comicMembers.role, ['owner', 'editor'])))
      .orderBy(sql`case ${comicMembers.role} when 'owner' then 0 else 1 end`, users.username);
    return rows.map((row) => row.username);
  }

  /**
   * A picture's bytes for this comic's pages: one uploaded into the comic, one that is not private, or one
   * that belongs to a member (who placed it), and not hidden from `actor` by moderators. Anything else, or
   * gone, draws as an empty panel.
   */
  async function loadMedia(actor: Auth | null, comicId: string, mediaId: string): Promise<Buffer | null> {
    if (!UUID.test(mediaId)) return null;
    const members = db.select({ userId: comicMembers.userId }).from(comicMembers).where(eq(comicMembers.comicId, comicId));
    const [row] = await db
      .select({ storagePath: media.storagePath })
      .from(media)
      .where(and(eq(media.id, mediaId), pictureSeenBy(actor), or(eq(media.comicId, comicId), sharedPicture(), inArray(media.userId, members))));
    const object = row && (await storage.get(row.storagePath));
    return object ? Buffer.concat(await object.body.toArray()) : null;
  }

  // Drawing a page takes a core for a while: a few at a time, however many exports run, so that a burst of
  // exports slows down exports rather than every other request.
  const drawing = createLimiter(RENDERS_AT_ONCE);

  return {
    async export(actor: Auth | null, comicId: string, format: ExportFormat, pageNumber: number): Promise<ExportFile> {
      const comic = await source(actor, comicId);
      // A comic never stored from the canvas yet has one blank page there: so it has here.
      const stored = summaryPages(comic.summary);
      const pages = stored.length > 0 ? stored : [{ id: 'page', name: 'Page 1', bounds: null, panels: [] }];
      const render = (page: PageSummary, lettering: boolean) =>
        drawing(() => renderPage(page, { width: EXPORT_WIDTH, lettering, loadMedia: (mediaId) => loadMedia(actor, comicId, mediaId) }));
      const file = (body: Readable | Buffer, suffix = '') => ({ filename: exportFilename(comic.title + suffix, format), contentType: CONTENT_TYPES[format], body });
      if (format === 'png') {
        const page = pages[pageNumber - 1];
        if (!page) throw notFound('Page');
        return file(await render(page, true), pages.length > 1 ? ` page ${pageNumber}` : '');
      }
      const content: ComicFile = { title: comic.title, description: comic.description, writers: await writers(comicId), pages, renderPage: render, width: EXPORT_WIDTH };
      return file(format === 'pdf' ? comicPdf(content) : comicCbz(content));
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
