import { buffer } from 'node:stream/consumers';
import { type SQL, and, arrayContains, asc, count, desc, eq, ilike, inArray, isNull, like, not, or, sql } from 'drizzle-orm';
import type { Queue } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import type { Database, Privacy } from '@inkwell/db';
import { schema } from '@inkwell/db';
import { COMIC_EDIT_OPTIONS, type ComicEditJobData, type JobType, WORKFLOWS, comicEditJobId, findWorkflow } from '@inkwell/workflows';
import type { MediaKind, MediaSort } from '../contract.ts';
import { AppError, badRequest, notFound } from '../errors.ts';
import { scanWithClamd } from '../lib/clamav.ts';
import { normalizeSummary } from '../lib/comic-summary.ts';
import { escapeLike } from '../lib/like.ts';
import { seesModerated } from '../lib/moderation.ts';
import { type PageRequest, paginate } from '../lib/pagination.ts';
import type { ObjectStorage } from '@inkwell/storage';
import type { AuditService } from './audit.ts';
import type { ComicService } from './comics.ts';
import { MAX_PIXELS, createMediaStore } from '@inkwell/storage/media-store';
import type { Auth, ClientInfo } from './sessions.ts';

const { PUBLISHED_MEDIA_IDS, comicDocuments, comicMembers, comics, media } = schema;

/** The workflows whose results are clips, and GIFs: what makes a generated picture one or the other. */
const workflowsOf = (type: JobType) => WORKFLOWS.filter((w) => w.jobType === type).map((w) => w.id);
const VIDEO_WORKFLOWS = workflowsOf('video');
const GIF_WORKFLOWS = workflowsOf('gif');

/** A GIF by its type or its workflow, a clip likewise, else a still image. */
function kindOf(mimeType: string, workflow: unknown): MediaKind {
  const type = typeof workflow === 'string' ? findWorkflow(workflow)?.jobType : undefined;
  if (mimeType === 'image/gif' || type === 'gif') return 'gif';
  if (mimeType.startsWith('video/') || type === 'video') return 'video';
  return 'image';
}

/** The same rule as `kindOf`, as a condition on the media table. */
function kindIs(kind: MediaKind): SQL {
  // An upload names no workflow: '' rather than null, so that "not a GIF" is true of it, not unknown.
  const workflow = sql`coalesce(${media.metadata}->>'workflow', '')`;
  const gif = or(eq(media.mimeType, 'image/gif'), inArray(workflow, GIF_WORKFLOWS))!;
  const clip = or(like(media.mimeType, 'video/%'), inArray(workflow, VIDEO_WORKFLOWS))!;
  return kind === 'gif' ? gif : kind === 'video' ? and(not(gif), clip)! : not(or(gif, clip)!);
}

const ORDER: Record<MediaSort, SQL[]> = {
  newest: [desc(media.createdAt), desc(media.id)],
  oldest: [asc(media.createdAt), asc(media.id)],
  name: [sql`lower(${media.originalFilename})`, desc(media.createdAt)],
  size: [desc(media.fileSize), desc(media.createdAt)],
};

export interface MediaListQuery extends PageRequest {
  q?: string | undefined;
  kind?: MediaKind | undefined;
  comicId?: string | undefined;
  privacy?: Privacy | undefined;
  sort: MediaSort;
}


/** What may be uploaded, decided from the bytes: the extension we store it under, and whether it can move. */
const IMAGE_TYPES: Record<string, { ext: string; animated: boolean }> = {
  'image/png': { ext: 'png', animated: false },
  'image/jpeg': { ext: 'jpg', animated: false },
  'image/webp': { ext: 'webp', animated: true },
  'image/gif': { ext: 'gif', animated: true },
};

type MediaRow = typeof media.$inferSelect;

export function presentMedia(row: MediaRow) {
  const size = row.metadata as { width?: number; height?: number; workflow?: unknown; prompt?: unknown };
  return {
    id: row.id,
    filename: row.originalFilename,
    mimeType: row.mimeType,
    kind: kindOf(row.mimeType, size.workflow),
    prompt: typeof size.prompt === 'string' ? size.prompt : null,
    fileSize: row.fileSize,
    privacy: row.privacy,
    width: size.width ?? null,
    height: size.height ?? null,
    url: `/api/v1/media/${row.id}/file`,
    thumbnailUrl: row.thumbnailUrl,
    comicId: row.comicId,
    ownerId: row.userId,
    createdAt: row.createdAt.toISOString(),
  };
}

export function createMediaService(deps: {
  db: Database;
  storage: ObjectStorage;
  comics: Pick<ComicService, 'requireRole' | 'roleOf'>;
  /** Where "use in a comic" sends its picture: the collab-servers put it in the panel. */
  comicEdits: Pick<Queue<ComicEditJobData>, 'add'>;
  audit: Pick<AuditService, 'record'>;
  clamd?: { host: string; port: number } | undefined;
  log: Pick<FastifyBaseLogger, 'warn'>;
}) {
  const { db, storage } = deps;
  const store = createMediaStore({ db, storage });

  /** Re-encodes in the same format: strips metadata (location, camera) and anything hidden after the image. */
  async function reencode(bytes: Buffer, type: { ext: string; animated: boolean }) {
    try {
      const image = sharp(bytes, { animated: type.animated, limitInputPixels: MAX_PIXELS, failOn: 'error' });
      const oriented = type.animated ? image : image.rotate();
      const encoded =
        type.ext === 'png' ? oriented.png() : type.ext === 'jpg' ? oriented.jpeg({ quality: 90, mozjpeg: true }) : type.ext === 'webp' ? oriented.webp({ quality: 90 }) : oriented.gif();
      const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.pageHeight ?? info.height };
    } catch {
      throw badRequest('invalid_image', 'This image is damaged or too large to open');
    }
  }

  /** A picture the caller may see: never a hidden one (or one only a hidden comic shows) unless theirs or a moderator's to see. */
  async function findVisible(actor: Auth | null, id: string): Promise<MediaRow> {
    const [row] = await db.select().from(media).where(eq(media.id, id));
    if (!row || !seesModerated(actor, row.userId, row.moderationState)) throw notFound('Media');
    if (row.userId === actor?.user.id || row.privacy !== 'private') return row;
    if (row.comicId) {
      // Pictures in a comic are seen by its members, and by everyone once the comic is published (and not hidden).
      const [comic] = await db
        .select({ isPublished: comics.isPublished, privacy: comics.privacy, ownerId: comics.userId, state: comics.moderationState })
        .from(comics)
        .where(eq(comics.id, row.comicId));
      if (comic?.isPublished && comic.privacy !== 'private' && seesModerated(actor, comic.ownerId, comic.state)) return row;
      if (actor && (await deps.comics.roleOf(actor.user.id, row.comicId))) return row;
    }
    throw notFound('Media');
  }

  async function findOwned(actor: Auth, id: string): Promise<MediaRow> {
    const [row] = await db.select().from(media).where(and(eq(media.id, id), eq(media.userId, actor.user.id)));
    if (!row) throw notFound('Media');
    return row;
  }

  /** The comic's own copy of a picture (bytes, thumbnail and row), private to its owner and the comic's members. */
  async function copyInto(row: MediaRow, comicId: string): Promise<MediaRow> {
    const object = await storage.get(row.storagePath);
    if (!object) throw notFound('Media file');
    // Not the job: the copy is no job's result.
    const { width, height, jobId: _job, ...metadata } = row.metadata as { width?: number | null; height?: number | null; jobId?: unknown };
    return store.save({
      userId: row.userId,
      bytes: await buffer(object.body),
      mimeType: row.mimeType,
      ext: row.storagePath.split('.').pop() ?? 'png',
      width: width ?? null,
      height: height ?? null,
      filename: row.originalFilename,
      privacy: 'private',
      comicId,
      metadata: { ...metadata, copiedFrom: row.id },
    });
  }

  return {
    async upload(actor: Auth, input: { bytes: Buffer; filename: string; privacy: Privacy; comicId?: string | undefined }, client?: ClientInfo) {
      if (input.comicId) await deps.comics.requireRole(actor, input.comicId, 'editor');
      const detected = await fileTypeFromBuffer(input.bytes);
      const type = detected && IMAGE_TYPES[detected.mime];
      if (!detected || !type) {
        throw new AppError(415, 'unsupported_file_type', 'Only PNG, JPEG, WebP and GIF images can be uploaded');
      }
      if (deps.clamd) {
        const scan = await scanWithClamd(deps.clamd, input.bytes);
        if (scan.infected) throw new AppError(422, 'infected_file', 'This file was refused by the virus scanner');
      }
      const { data, width, height } = await reencode(input.bytes, type);
      const row = await store.save({
        userId: actor.user.id,
        bytes: data,
        mimeType: detected.mime,
        ext: type.ext,
        width,
        height,
        filename: sanitizeFilename(input.filename) || `image.${type.ext}`,
        privacy: input.privacy,
        comicId: input.comicId ?? null,
      });
      await deps.audit.record({ actorId: actor.user.id, action: 'media.uploaded', resourceType: 'media', resourceId: row.id, newValues: { name: row.originalFilename, privacy: row.privacy }, client });
      return presentMedia(row);
    },

    /** My media, found by words of its name or prompt, by kind, comic and privacy, in the order asked. */
    async list(actor: Auth, query: MediaListQuery) {
      const words = query.q ? `%${escapeLike(query.q)}%` : undefined;
      const where = and(
        eq(media.userId, actor.user.id),
        words ? or(ilike(media.originalFilename, words), ilike(sql`${media.metadata}->>'prompt'`, words)) : undefined,
        query.kind ? kindIs(query.kind) : undefined,
        query.comicId ? eq(media.comicId, query.comicId) : undefined,
        query.privacy ? eq(media.privacy, query.privacy) : undefined,
      );
      const { items, total } = await paginate(
        query,
        ({ limit, offset }) => db.select().from(media).where(where).orderBy(...ORDER[query.sort]).limit(limit).offset(offset),
        db.select({ total: count() }).from(media).where(where),
      );
      return { items: items.map(presentMedia), total };
    },

    /**
     * The comics that show one of my pictures: in their live document (anywhere in it, as the collab-server
     * listed it at the last store) or their published pages. Each test is an index lookup; only comics whose
     * pictures were never listed (stored before the list existed, or unreadable then) are searched in their
     * document. Comics I am not a member of are counted, not named.
     */
    async usage(actor: Auth, id: string) {
      const row = await findOwned(actor, id);
      const rows = await db
        .select({
          id: comics.id,
          title: comics.title,
          member: sql<boolean>`exists (select 1 from ${comicMembers} where ${comicMembers.comicId} = ${comics.id} and ${comicMembers.userId} = ${actor.user.id})`,
        })
        .from(comics)
        .leftJoin(comicDocuments, and(isNull(comics.mediaIds), eq(comicDocuments.comicId, comics.id)))
        .where(
          or(
            arrayContains(comics.mediaIds, [row.id]),
            sql`${PUBLISHED_MEDIA_IDS} @> ${JSON.stringify([row.id])}::jsonb`,
            // A Yjs update keeps strings as UTF-8: the picture's URL in the document holds its id as is.
            and(isNull(comics.mediaIds), sql`position(${Buffer.from(row.id)}::bytea in ${comicDocuments.state}) > 0`),
          ),
        )
        .orderBy(comics.title);
      const named = rows.filter((r) => r.member);
      return { comics: named.map(({ id: comicId, title }) => ({ id: comicId, title })), otherComics: rows.length - named.length };
    },

    /**
     * "Use in a comic": fits one of my pictures into a panel, under its lettering, through the same server-side
     * edit as a generated picture, so it lands for everyone even when nobody has the comic open. A picture from
     * elsewhere is copied into the comic first, so that every member may see it.
     */
    async place(actor: Auth, id: string, target: { comicId: string; panelId: string }) {
      const row = await findOwned(actor, id);
      // The copy would start out visible: a hidden or removed picture would reach the comic's members and readers.
      if (row.moderationState !== 'visible') throw new AppError(409, 'media_moderated', 'A moderator hid or removed this picture: it cannot be used in a comic');
      await deps.comics.requireRole(actor, target.comicId, 'editor');
      const [comic] = await db.select({ panels: comics.panels }).from(comics).where(eq(comics.id, target.comicId));
      const panels = normalizeSummary(comic?.panels).pages.flatMap((page) => page.panels);
      if (!panels.some((panel) => panel.id === target.panelId)) {
        throw new AppError(409, 'panel_missing', 'That panel is not in the comic any more: choose another');
      }
      const picture = row.comicId === target.comicId ? row : await copyInto(row, target.comicId);
      const size = picture.metadata as { width?: number; height?: number };
      // Each placement is an edit of its own (placing the same picture twice gives two).
      const edit: ComicEditJobData = {
        kind: 'insert-image',
        jobId: crypto.randomUUID(),
        ...target,
        mediaId: picture.id,
        width: size.width ?? 1024,
        height: size.height ?? 1024,
      };
      await deps.comicEdits.add(edit.kind, edit, { jobId: comicEditJobId(edit), ...COMIC_EDIT_OPTIONS });
      return { mediaId: picture.id, ...target };
    },

    async get(actor: Auth | null, id: string) {
      return presentMedia(await findVisible(actor, id));
    },

    /**
     * Why a picture may not be drawn from (a generation's input image, a character's reference), or null when
     * it may: the caller must see it, it must be an image, and no moderator hid or removed it (its owner still
     * sees such a picture, but may not feed it to the GPU).
     */
    async unusableImage(actor: Auth, id: string): Promise<{ message: string; detail: string } | null> {
      const row = await findVisible(actor, id).catch(() => null);
      if (!row) return { message: 'This image cannot be used', detail: 'No such image in your media' };
      if (!row.mimeType.startsWith('image/')) return { message: 'Not an image', detail: 'Not an image' };
      if (row.moderationState !== 'visible') return { message: 'This image cannot be used', detail: 'A moderator hid or removed this picture' };
      return null;
    },

    /**
     * The bytes of a picture (or its thumbnail) the caller may see. The first to ask for a thumbnail has it
     * made; until one can be (a clip has none), the picture itself stands in for it.
     */
    async open(actor: Auth | null, id: string, variant: 'file' | 'thumbnail') {
      const row = await findVisible(actor, id);
      const thumbnail =
        variant === 'thumbnail'
          ? await store.thumbnail(row).catch((err: unknown) => {
              deps.log.warn({ err, mediaId: id }, 'could not make a thumbnail: the picture stands in for it');
              return null;
            })
          : null;
      const object = thumbnail ?? (await storage.get(row.storagePath));
      if (!object) throw notFound('Media file');
      return {
        ...object,
        mimeType: thumbnail ? 'image/webp' : row.mimeType,
        privacy: row.privacy,
        filename: row.originalFilename,
        /** Hidden by moderators: the caller is its owner or a moderator, and no shared cache may keep it. */
        restricted: row.moderationState !== 'visible',
        /** The picture standing in for its thumbnail: no cache may keep it, a thumbnail may be made next time. */
        standIn: variant === 'thumbnail' && !thumbnail,
      };
    },

    async update(actor: Auth, id: string, change: { privacy?: Privacy | undefined; filename?: string | undefined }, client?: ClientInfo) {
      const before = await findOwned(actor, id);
      const [row] = await db
        .update(media)
        .set({
          ...(change.privacy && { privacy: change.privacy }),
          ...(change.filename && { originalFilename: sanitizeFilename(change.filename) }),
        })
        .where(eq(media.id, id))
        .returning();
      const audited = { actorId: actor.user.id, resourceType: 'media', resourceId: id, client };
      if (row!.originalFilename !== before.originalFilename) {
        await deps.audit.record({ ...audited, action: 'media.renamed', oldValues: { name: before.originalFilename }, newValues: { name: row!.originalFilename } });
      }
      if (row!.privacy !== before.privacy) {
        await deps.audit.record({ ...audited, action: 'media.privacy_changed', oldValues: { name: row!.originalFilename, privacy: before.privacy }, newValues: { privacy: row!.privacy } });
      }
      return presentMedia(row!);
    },

    async remove(actor: Auth, id: string, client?: ClientInfo): Promise<void> {
      const row = await findOwned(actor, id);
      await store.remove(row);
      await deps.audit.record({ actorId: actor.user.id, action: 'media.deleted', resourceType: 'media', resourceId: id, oldValues: { name: row.originalFilename, privacy: row.privacy }, client });
    },
  };
}

/** A display name only: no path, no control characters, no quotes that could break a header. */
function sanitizeFilename(name: string): string {
  return (name.split(/[\\/]/).pop() ?? '')
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f"\\]/g, '')
    .trim()
    .slice(0, 255);
}

export type MediaService = ReturnType<typeof createMediaService>;
