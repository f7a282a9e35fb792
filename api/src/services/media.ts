import { and, count, desc, eq } from 'drizzle-orm';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import type { Database, Privacy } from '@inkwell/db';
import { schema } from '@inkwell/db';
import { AppError, badRequest, notFound } from '../errors.ts';
import { scanWithClamd } from '../lib/clamav.ts';
import { seesModerated } from '../lib/moderation.ts';
import { type PageRequest, paginate } from '../lib/pagination.ts';
import type { ObjectStorage } from '@inkwell/storage';
import type { ComicService } from './comics.ts';
import { MAX_PIXELS, createMediaStore, thumbnailKey } from '@inkwell/storage/media-store';
import type { Auth } from './sessions.ts';

const { comics, media } = schema;


/** What may be uploaded, decided from the bytes: the extension we store it under, and whether it can move. */
const IMAGE_TYPES: Record<string, { ext: string; animated: boolean }> = {
  'image/png': { ext: 'png', animated: false },
  'image/jpeg': { ext: 'jpg', animated: false },
  'image/webp': { ext: 'webp', animated: true },
  'image/gif': { ext: 'gif', animated: true },
};

type MediaRow = typeof media.$inferSelect;

export function presentMedia(row: MediaRow) {
  const size = row.metadata as { width?: number; height?: number };
  return {
    id: row.id,
    filename: row.originalFilename,
    mimeType: row.mimeType,
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
  clamd?: { host: string; port: number } | undefined;
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

  return {
    async upload(actor: Auth, input: { bytes: Buffer; filename: string; privacy: Privacy; comicId?: string | undefined }) {
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
      return presentMedia(row);
    },

    async list(actor: Auth, page: PageRequest) {
      const mine = eq(media.userId, actor.user.id);
      const { items, total } = await paginate(
        page,
        ({ limit, offset }) => db.select().from(media).where(mine).orderBy(desc(media.createdAt)).limit(limit).offset(offset),
        db.select({ total: count() }).from(media).where(mine),
      );
      return { items: items.map(presentMedia), total };
    },

    async get(actor: Auth | null, id: string) {
      return presentMedia(await findVisible(actor, id));
    },

    /** The bytes of a picture (or its thumbnail) the caller may see. */
    async open(actor: Auth | null, id: string, variant: 'file' | 'thumbnail') {
      const row = await findVisible(actor, id);
      const key = variant === 'file' ? row.storagePath : thumbnailKey(row);
      const object = await storage.get(key);
      if (!object) throw notFound('Media file');
      return {
        ...object,
        mimeType: variant === 'file' ? row.mimeType : 'image/webp',
        privacy: row.privacy,
        filename: row.originalFilename,
        /** Hidden by moderators: the caller is its owner or a moderator, and no shared cache may keep it. */
        restricted: row.moderationState !== 'visible',
      };
    },

    async update(actor: Auth, id: string, change: { privacy?: Privacy | undefined; filename?: string | undefined }) {
      await findOwned(actor, id);
      const [row] = await db
        .update(media)
        .set({
          ...(change.privacy && { privacy: change.privacy }),
          ...(change.filename && { originalFilename: sanitizeFilename(change.filename) }),
        })
        .where(eq(media.id, id))
        .returning();
      return presentMedia(row!);
    },

    async remove(actor: Auth, id: string): Promise<void> {
      await store.remove(await findOwned(actor, id));
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
