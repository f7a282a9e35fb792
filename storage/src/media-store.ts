import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { eq, sql } from 'drizzle-orm';
import sharp from 'sharp';
import type { Database, Privacy } from '@inkwell/db';
import { schema } from '@inkwell/db';
import type { ObjectStorage } from './index.ts';

const { media } = schema;
type MediaRow = typeof media.$inferSelect;

const THUMBNAIL_SIZE = 320;
/** Decompression bombs: refuse images with more pixels than a large poster. */
export const MAX_PIXELS = 64_000_000;

export const thumbnailKey = (row: { userId: string; id: string }) => `thumbnails/${row.userId}/${row.id}.webp`;
/** What a thumbnail is made of: the types sharp reads. Anything else (a clip) has none. */
const THUMBNAIL_SOURCES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

export interface NewMedia {
  userId: string;
  bytes: Buffer;
  mimeType: string;
  /** The extension the object is stored under. */
  ext: string;
  width: number | null;
  height: number | null;
  filename: string;
  privacy: Privacy;
  comicId?: string | null;
  /** The generation job this picture is the result of: a job has one result, however often it ran. */
  jobId?: string | null;
  /** Anything else worth keeping (the job and workflow of a generated picture, say). */
  metadata?: Record<string, unknown>;
}

/**
 * Keeps a picture: its bytes in object storage and its `media` row, and makes its WebP thumbnail the first
 * time one is asked for. Used for uploads (after checks) and by the gpu-worker for generated outputs.
 * Nothing is left half-written: a row always has its bytes.
 */
export function createMediaStore(deps: { db: Database; storage: ObjectStorage }) {
  const { db, storage } = deps;
  // Every upload and generated picture makes this insert: built by drizzle once, values filled in per picture.
  const value = (name: keyof typeof media.$inferInsert) => sql.placeholder(name);
  const insert = db
    .insert(media)
    .values({
      id: value('id'),
      userId: value('userId'),
      filename: value('filename'),
      originalFilename: value('originalFilename'),
      mimeType: value('mimeType'),
      fileSize: value('fileSize'),
      privacy: value('privacy'),
      metadata: value('metadata'),
      thumbnailUrl: value('thumbnailUrl'),
      storagePath: value('storagePath'),
      comicId: value('comicId'),
      jobId: value('jobId'),
    })
    .onConflictDoNothing({ target: media.jobId })
    .returning()
    .prepare('media_insert');
  const makeThumbnail = (bytes: Buffer) =>
    sharp(bytes, { limitInputPixels: MAX_PIXELS })
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      // Effort 2 skips the encoder's costliest analysis: under half the CPU, files within a few per cent.
      .webp({ quality: 75, effort: 2 })
      .toBuffer();

  /** Writes the picture, then its row; nothing is left behind on failure. */
  async function save(input: NewMedia) {
    const id = crypto.randomUUID();
    const key = `media/${input.userId}/${id}.${input.ext}`;
    await storage.put(key, input.bytes, input.mimeType);
    let row: MediaRow | undefined;
    try {
      [row] = await insert.execute({
        id,
        userId: input.userId,
        filename: `${id}.${input.ext}`,
        originalFilename: input.filename,
        mimeType: input.mimeType,
        fileSize: input.bytes.length,
        privacy: input.privacy,
        metadata: { ...input.metadata, width: input.width, height: input.height },
        thumbnailUrl: `/api/v1/media/${id}/thumbnail`,
        storagePath: key,
        comicId: input.comicId ?? null,
        jobId: input.jobId ?? null,
      });
    } catch (error) {
      await storage.delete(key).catch(() => {});
      throw error;
    }
    if (row) return row;
    // Another attempt of the same job stored its picture first: that one is the result.
    await storage.delete(key).catch(() => {});
    const [first] = await db.select().from(media).where(eq(media.jobId, input.jobId!));
    if (!first) throw new Error(`The result of job ${input.jobId} was removed while another was being stored`);
    return first;
  }

  /** Thumbnails being made now, by picture: whoever asks meanwhile waits for the same one. */
  const making = new Map<string, Promise<Buffer | null>>();
  async function makeAndKeepThumbnail(row: MediaRow): Promise<Buffer | null> {
    const object = await storage.get(row.storagePath);
    if (!object) return null;
    const made = await makeThumbnail(await buffer(object.body));
    await storage.put(thumbnailKey(row), made, 'image/webp');
    // Removed while it was made: nothing else would ever remove its thumbnail.
    const [kept] = await db.select({ id: media.id }).from(media).where(eq(media.id, row.id));
    if (!kept) await storage.delete(thumbnailKey(row));
    return made;
  }

  return {
    /**
     * Stores the picture and its row. A job's result is stored once: when another attempt of the same job
     * stored its picture first, that row is returned and these bytes are dropped.
     */
    save,

    /**
     * A picture's thumbnail, made the first time it is asked for and kept. Most generated pictures are only
     * ever shown whole, in their panel: making one for each as it is stored cost the pipeline a third of the
     * gpu-worker's time, for nothing. Null when the picture has none (a clip, or its bytes are gone).
     */
    async thumbnail(row: MediaRow): Promise<{ body: Readable; size: number } | null> {
      const kept = await storage.get(thumbnailKey(row));
      if (kept || !THUMBNAIL_SOURCES.has(row.mimeType)) return kept;
      let made = making.get(row.id);
      if (!made) {
        made = makeAndKeepThumbnail(row).finally(() => making.delete(row.id));
        making.set(row.id, made);
      }
      const bytes = await made;
      return bytes && { body: Readable.from([bytes]), size: bytes.length };
    },

    /** Removes a picture and its bytes (e.g. a duplicate result of a retried job). */
    async remove(row: { id: string; userId: string; storagePath: string }) {
      await db.delete(media).where(eq(media.id, row.id));
      await Promise.allSettled([storage.delete(row.storagePath), storage.delete(thumbnailKey(row))]);
    },
  };
}

export type MediaStore = ReturnType<typeof createMediaStore>;
