// Publishing: the owner takes a snapshot of what readers see (the summary, each page rendered without lettering,
// a cover, alt texts), and anyone reads that snapshot until the owner publishes again or unpublishes: later
// edits on the canvas never reach readers by themselves.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { and, eq, inArray, ne, or, sql } from 'drizzle-orm';
import sharp from 'sharp';
import type { ComicSummary, Database, PanelSummary, PublishedImage, PublishedSnapshot } from '@inkwell/db';
import { schema, snapshotVersion } from '@inkwell/db';
import type { ObjectStorage } from '@inkwell/storage';
import { KEPT_VERSIONS_PER_KIND, READER_IMAGE_WIDTHS, type ReaderComic, type Visibility } from '../contract.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { normalizeSummary } from '../lib/comic-summary.ts';
import { pictureSeenBy, seesModerated, sharedPicture } from '../lib/moderation.ts';
import { inkOf, layOutLettering, textBoxOf } from '../lib/lettering.ts';
import type { AuditService } from './audit.ts';
import type { ComicService } from './comics.ts';
import { pageArea, renderPage, withMargin } from './page-render.ts';
import type { Auth, ClientInfo } from './sessions.ts';

const { comicMembers, comics, media, users } = schema;

/** Page images are stored this wide: the largest width readers are served. */
const PAGE_WIDTH = 1600;
const COVER_WIDTH = 1200;
/** What `url` serves when no width is asked for. */
const DEFAULT_WIDTH = 1200;
/** Reader views kept (`readerViewOf`); a 60-panel comic's is some tens of kilobytes. */
const READER_VIEWS = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface PublishInput {
  visibility: Visibility;
  coverPageIndex?: number | undefined;
  altTexts?: Record<string, string> | undefined;
}

/** The columns a comic's publication is told from. */
export interface PublicationColumns {
  id: string;
  isPublished: boolean;
  privacy: string;
  updatedAt: Date;
  publishedAt: Date | null;
  publishedFrom: Date | null;
  publishedSnapshot: PublishedSnapshot | null;
}

/** What the comic's detail says about its publication; null while unpublished. */
export function publicationOf(comic: PublicationColumns, publicUrl: string) {
  const snapshot = comic.publishedSnapshot;
  if (!comic.isPublished || !snapshot || !comic.publishedAt || comic.privacy === 'private') return null;
  return {
    visibility: comic.privacy as Visibility,
    publishedAt: comic.publishedAt.toISOString(),
    readerUrl: `${publicUrl}/read/${comic.id}/${snapshot.slug}`,
    hasUnpublishedChanges: comic.updatedAt.getTime() > (comic.publishedFrom?.getTime() ?? 0),
  };
}

/** A readable piece of the title for the reader's address: `/read/<id>/<slug>`. */
export function slugOf(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'comic';
}

export function createPublishingService(deps: {
  db: Database;
  storage: ObjectStorage;
  comics: Pick<ComicService, 'requireRole'>;
  audit: Pick<AuditService, 'record'>;
  publicUrl: string;
  onCleanupError(err: unknown): void;
}) {
  const { db, storage, publicUrl } = deps;
  /** The snapshots readers saw lately, by snapshot id (readers ask for the same few), at most READER_VIEWS. */
  const readerViews = new Map<string, ReaderView>();

  const snapshotColumns = {
    id: comics.id,
    isPublished: comics.isPublished,
    privacy: comics.privacy,
    updatedAt: comics.updatedAt,
    publishedAt: comics.publishedAt,
    publishedFrom: comics.publishedFrom,
    publishedSnapshot: comics.publishedSnapshot,
    readCount: comics.readCount,
  };

  // Every view and page image reads the publication: built by drizzle once, parsed by Postgres once per connection.
  const publication = db
    .select({
      snapshotId: sql<string | null>`${comics.publishedSnapshot}->>'id'`,
      images: sql<Pick<PublishedSnapshot, 'cover' | 'pages'>>`jsonb_build_object('cover', ${comics.publishedSnapshot}->'cover', 'pages', ${comics.publishedSnapshot}->'pages')`,
      privacy: comics.privacy,
      publishedAt: comics.publishedAt,
      readCount: comics.readCount,
      ownerId: comics.userId,
      moderationState: comics.moderationState,
    })
    .from(comics)
    .where(and(eq(comics.id, sql.placeholder('comicId')), eq(comics.isPublished, true), ne(comics.privacy, 'private')))
    .prepare('reader_publication');

  /**
   * The publication `viewer` may read: 404 for a comic that is unpublished, private or gone, and for a hidden
   * or removed one unless the viewer is its owner or a moderator. Of its snapshot only the id and the images'
   * list are read here; what readers are shown of it comes from `readerViewOf`.
   */
  async function readable(comicId: string, viewer: Auth | null) {
    const [row] = await publication.execute({ comicId });
    if (!row?.snapshotId || !row.publishedAt || !seesModerated(viewer, row.ownerId, row.moderationState)) throw notFound('Comic');
    return { ...row, snapshotId: row.snapshotId, publishedAt: row.publishedAt };
  }

  /**
   * What readers are shown of the comic's snapshot `snapshotId`, worked out once and kept for the next
   * readers: a snapshot never changes (publishing again makes a new one, with a new id), and a 60-panel
   * comic's is 60 KB of JSON to fetch, parse and lay out, for every view and every page image.
   */
  async function readerViewOf(comicId: string, snapshotId: string): Promise<ReaderView> {
    const known = readerViews.get(snapshotId);
    if (known) return known;
    const [row] = await db.select({ snapshot: comics.publishedSnapshot }).from(comics).where(eq(comics.id, comicId));
    if (!row?.snapshot) throw notFound('Comic');
    // Published again since `snapshotId` was read: readers now see the newer snapshot.
    const snapshot = row.snapshot;
    const view = await readerViewFrom(comicId, snapshot);
    // Another request may have kept it meanwhile: then nothing is added, and nothing need make room.
    if (!readerViews.has(snapshot.id) && readerViews.size >= READER_VIEWS) readerViews.delete(readerViews.keys().next().value!);
    readerViews.set(snapshot.id, view);
    return view;
  }

  /**
   * The pictures the summary names that this comic may show: public ones, ones uploaded into it, and its
   * members' own. Someone else's private picture, named by an edited document, is never rendered, nor one
   * hidden by moderators (a publication is drawn for everyone).
   */
  async function picturesOf(comicId: string, summary: ComicSummary) {
    const ids = [...new Set(summary.pages.flatMap((p) => p.panels.flatMap((panel) => panel.art.map((a) => a.mediaId))))].filter((id) => UUID.test(id));
    if (ids.length === 0) return new Map<string, { storagePath: string; prompt: string | null }>();
    const members = db.select({ id: comicMembers.userId }).from(comicMembers).where(eq(comicMembers.comicId, comicId));
    const rows = await db
      .select({ id: media.id, storagePath: media.storagePath, prompt: sql<string | null>`${media.metadata}->>'prompt'` })
      .from(media)
      .where(and(inArray(media.id, ids), pictureSeenBy(null), or(sharedPicture(), eq(media.comicId, comicId), inArray(media.userId, members))));
    return new Map(rows.map((row) => [row.id, row]));
  }

  async function bytesOf(key: string): Promise<Buffer | null> {
    const object = await storage.get(key);
    return object ? buffer(object.body) : null;
  }

  async function storeImage(key: string, png: Buffer): Promise<PublishedImage> {
    await storage.put(key, png, 'image/png');
    const { width = 1, height = 1 } = await sharp(png).metadata();
    return { key, width, height };
  }

  /** The owner's comic with its publication: the summary, and the snapshot's columns. */
  async function ownComic(actor: Auth, comicId: string) {
    await deps.comics.requireRole(actor, comicId, 'owner');
    const [comic] = await db
      .select({ ...snapshotColumns, title: comics.title, description: comics.description, panels: comics.panels, author: users.username, moderationState: comics.moderationState })
      .from(comics)
      .innerJoin(users, eq(users.id, comics.userId))
      .where(eq(comics.id, comicId));
    if (!comic) throw notFound('Comic');
    return comic;
  }

  /** The snapshot's images and their resized copies: after a newer snapshot replaced it, or unpublishing. */
  async function removeImages(snapshot: PublishedSnapshot): Promise<void> {
    const images = [...snapshot.pages, snapshot.cover];
    const keys = images.flatMap((image) => [image.key, ...READER_IMAGE_WIDTHS.map((w) => resizedKey(image, w))]);
    await Promise.all(keys.map((key) => storage.delete(key).catch(deps.onCleanupError)));
  }

  return {
    async publish(actor: Auth, comicId: string, input: PublishInput, client: ClientInfo) {
      const comic = await ownComic(actor, comicId);
      if (comic.moderationState === 'removed') throw conflict('comic_removed', 'Moderators removed this comic: it cannot be published again (you may appeal)');
      // Pages keep a white margin around their panels, as on paper: the outer borders stay whole.
      const summary = { pages: normalizeSummary(comic.panels).pages.map(withMargin) };
      if (summary.pages.length === 0) throw conflict('nothing_to_publish', 'Add a page before publishing');
      const coverPageIndex = input.coverPageIndex ?? 0;
      const coverPage = summary.pages[coverPageIndex];
      if (!coverPage) throw badRequest('invalid_cover', `The comic has ${summary.pages.length} pages: there is no page ${coverPageIndex + 1}`);
      const panels = summary.pages.flatMap((page) => page.panels);
      const unknown = Object.keys(input.altTexts ?? {}).filter((id) => !panels.some((panel) => panel.id === id));
      if (unknown.length > 0) throw badRequest('unknown_panel', 'Alt text was given for panels the comic does not have', { panels: unknown });

      // The author's alt texts carry over from the last publication; an empty one given now removes it.
      const merged = { ...comic.publishedSnapshot?.altTexts, ...input.altTexts };
      const altTexts = Object.fromEntries(Object.entries(merged).filter(([id, text]) => text && panels.some((panel) => panel.id === id)));
      const pictures = await picturesOf(comicId, summary);
      const prompts = Object.fromEntries(panels.map((panel) => [panel.id, promptOf(panel, pictures)]).filter(([, prompt]) => prompt));
      const loadMedia = async (mediaId: string) => {
        const picture = pictures.get(mediaId);
        return picture ? bytesOf(picture.storagePath) : null;
      };

      const snapshotId = randomUUID();
      const prefix = `published/${comicId}/${snapshotId}`;
      const pages: PublishedImage[] = [];
      for (const [n, page] of summary.pages.entries()) {
        // Without lettering: the reader lays the real, selectable text over the picture.
        pages.push(await storeImage(`${prefix}/page-${n}.png`, await renderPage(page, { width: PAGE_WIDTH, lettering: false, loadMedia })));
      }
      // The cover stands alone (link previews, the gallery), so it carries its lettering.
      const cover = await storeImage(`${prefix}/cover.png`, await renderPage(coverPage, { width: COVER_WIDTH, lettering: true, loadMedia }));
      const snapshot: PublishedSnapshot = {
        id: snapshotId,
        title: comic.title,
        description: comic.description,
        author: comic.author,
        summary,
        pages,
        cover: { ...cover, pageIndex: coverPageIndex },
        altTexts,
        prompts,
        slug: slugOf(comic.title),
      };
      const [published] = await db
        .update(comics)
        // The first publication's date stays: updating a published comic does not make it new again.
        .set({ isPublished: true, privacy: input.visibility, publishedAt: comic.publishedAt ?? new Date(), publishedFrom: comic.updatedAt, publishedSnapshot: snapshot })
        .where(eq(comics.id, comicId))
        .returning(snapshotColumns);
      if (!published) {
        await removeImages(snapshot);
        throw notFound('Comic');
      }
      if (comic.publishedSnapshot) await removeImages(comic.publishedSnapshot);
      await snapshotVersion(db, { comicId, kind: 'publish', createdBy: actor.user.id, keep: KEPT_VERSIONS_PER_KIND });
      const audited = { comic: comic.title, privacy: input.visibility, snapshotId, pages: pages.length };
      const before = { comic: comic.title, privacy: comic.privacy };
      await deps.audit.record({ actorId: actor.user.id, action: 'comic.published', resourceType: 'comic', resourceId: comicId, oldValues: before, newValues: audited, client });
      return publicationOf(published, publicUrl)!;
    },

    /** What the Publish dialog shows the owner: the publication, and each panel's text, prompt and alt text. */
    async draft(actor: Auth, comicId: string) {
      const comic = await ownComic(actor, comicId);
      const summary = normalizeSummary(comic.panels);
      const pictures = await picturesOf(comicId, summary);
      const snapshot = comic.publishedSnapshot;
      return {
        publication: publicationOf(comic, publicUrl),
        coverPageIndex: snapshot?.cover.pageIndex ?? 0,
        pages: summary.pages.map((page) => ({
          id: page.id,
          name: page.name,
          panels: page.panels.map((panel) => ({ id: panel.id, text: panel.text, prompt: promptOf(panel, pictures), altText: snapshot?.altTexts[panel.id] ?? null })),
        })),
      };
    },

    /** Removes a snapshot's images from storage: the comic they belonged to is gone. */
    discard: removeImages,

    async unpublish(actor: Auth, comicId: string, client: ClientInfo): Promise<void> {
      await deps.comics.requireRole(actor, comicId, 'owner');
      const [before] = await db.select({ snapshot: comics.publishedSnapshot, title: comics.title, privacy: comics.privacy }).from(comics).where(eq(comics.id, comicId));
      if (!before?.snapshot) return;
      await db
        .update(comics)
        .set({ isPublished: false, privacy: 'private', publishedAt: null, publishedFrom: null, publishedSnapshot: null })
        .where(eq(comics.id, comicId));
      await removeImages(before.snapshot);
      await deps.audit.record({ actorId: actor.user.id, action: 'comic.unpublished', resourceType: 'comic', resourceId: comicId, oldValues: { comic: before.title, privacy: before.privacy, snapshotId: before.snapshot.id }, newValues: { comic: before.title, privacy: 'private' }, client });
    },

    /** The published comic as the reader shows it: boxes as fractions of their page image, text as text. */
    async read(comicId: string, viewer: Auth | null): Promise<ReaderComic> {
      const comic = await readable(comicId, viewer);
      const view = await readerViewOf(comicId, comic.snapshotId);
      return { ...view, visibility: comic.privacy as Visibility, publishedAt: comic.publishedAt.toISOString(), readCount: comic.readCount };
    },

    /**
     * A published page image or cover, `width` pixels wide (or its own width when smaller) as WebP. Each width
     * is resized once and kept beside the original. `snapshotId` must be the current one: an older
     * publication's images are gone with it.
     */
    async image(comicId: string, snapshotId: string, name: string, width: number, viewer: Auth | null): Promise<{ body: Readable | Buffer; size: number; restricted: boolean }> {
      const { snapshotId: current, images, moderationState } = await readable(comicId, viewer);
      const restricted = moderationState !== 'visible';
      const original = current !== snapshotId ? undefined : name === 'cover' ? images.cover : images.pages[Number(name.slice('page-'.length))];
      if (!original) throw notFound('Image');
      const w = Math.min(width, original.width);
      const key = resizedKey(original, w);
      // The kept copy goes out as it is read from storage, never gathered in memory first.
      const kept = await storage.get(key);
      if (kept) return { ...kept, restricted };
      const png = await bytesOf(original.key);
      if (!png) throw notFound('Image');
      const webp = await sharp(png).resize({ width: w, withoutEnlargement: true }).webp({ quality: 82 }).toBuffer();
      await storage.put(key, webp, 'image/webp');
      return { body: webp, size: webp.length, restricted };
    },

    /** Counts one read of a published comic; who read is not kept. */
    async countRead(comicId: string): Promise<number> {
      const [row] = await db
        .update(comics)
        .set({ readCount: sql`${comics.readCount} + 1` })
        // Reads of a hidden comic (by its owner or moderators) are not counted.
        .where(and(eq(comics.id, comicId), eq(comics.isPublished, true), ne(comics.privacy, 'private'), eq(comics.moderationState, 'visible')))
        .returning({ readCount: comics.readCount });
      if (!row) throw notFound('Comic');
      return row.readCount;
    },
  };
}

export type PublishingService = ReturnType<typeof createPublishingService>;

/** The prompt that drew the panel's top picture, if a generation drew it. */
function promptOf(panel: PanelSummary, pictures: Map<string, { prompt: string | null }>): string | null {
  return pictures.get(panel.art.at(-1)?.mediaId ?? '')?.prompt ?? null;
}

function resizedKey(image: PublishedImage, width: number): string {
  return `${image.key}.w${width}.webp`;
}

/** What readers are shown of a snapshot, the same for every reader: the reader's comic but its publication's state. */
type ReaderView = Omit<ReaderComic, 'visibility' | 'publishedAt' | 'readCount'>;

/** The reader's view of `snapshot`, its texts set at the size that fits their balloons (as on the canvas and in exports). */
async function readerViewFrom(comicId: string, snapshot: PublishedSnapshot): Promise<ReaderView> {
  const imageUrl = (name: string, image: PublishedImage) => {
    const base = `/api/v1/read/${comicId}/images/${snapshot.id}/${name}`;
    // Widths past the image's own would only serve it again (the server never enlarges).
    const widths = READER_IMAGE_WIDTHS.filter((w, n) => n === 0 || w <= image.width);
    return {
      url: `${base}?w=${DEFAULT_WIDTH}`,
      srcset: widths.map((w) => `${base}?w=${w} ${w}w`).join(', '),
      width: image.width,
      height: image.height,
    };
  };
  const lettering = snapshot.summary.pages.flatMap((page) => page.panels.flatMap((panel) => panel.lettering));
  const fitted = new Map(await Promise.all(lettering.map(async (l) => [l.id, (await layOutLettering(l)).fontSize] as const)));
  let panelNumber = 0;
  return {
    id: comicId,
    slug: snapshot.slug,
    title: snapshot.title,
    description: snapshot.description,
    author: { username: snapshot.author },
    cover: imageUrl('cover', snapshot.cover),
    pages: snapshot.summary.pages.map((page, n) => {
      const area = pageArea(page);
      const fx = (x: number) => round((x - area.x) / area.w);
      const fy = (y: number) => round((y - area.y) / area.h);
      const box = (b: { x: number; y: number; w: number; h: number }) => ({ x: fx(b.x), y: fy(b.y), w: round(b.w / area.w), h: round(b.h / area.h) });
      return {
        id: page.id,
        name: page.name,
        image: imageUrl(`page-${n}`, snapshot.pages[n]!),
        panels: page.panels.map((panel) => {
          panelNumber++;
          const alt = snapshot.altTexts[panel.id] ?? snapshot.prompts[panel.id] ?? `Panel ${panelNumber}${panel.text.length > 0 ? `: ${panel.text.join(' ')}` : ''}`;
          return {
            id: panel.id,
            ...box(panel),
            alt,
            lettering: panel.lettering.map((l) => ({
              id: l.id,
              kind: l.kind,
              ...box(l),
              tail: l.tail && { x: fx(l.tail.x), y: fy(l.tail.y) },
              textBox: box(textBoxOf(l)),
              text: l.text,
              font: l.font,
              size: l.size,
              fontSize: round(fitted.get(l.id)! / area.w),
              align: l.align,
              color: inkOf(l.color),
            })),
          };
        }),
      };
    }),
  };
}

function round(value: number): number {
  return Math.round(value * 100_000) / 100_000 + 0;
}
