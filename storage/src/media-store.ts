import { eq, sql } from 'drizzle-orm';
import sharp from 'sharp';
import type { Database, Privacy } from '@inkwell/db';
import { schema } from '@inkwell/db';
import type { ObjectStorage } from './index.ts';

const { media } = schema;

const THUMBNAIL_SIZE = 320;
/** Decompression bombs: refuse images with more pixels than a large poster. */
export const MAX_PIXELS = 64_000_000;

export const thumbnailKey = (row: { userId: string; id: string }) => `thumbnails/${row.userId}/${row.id}.webp`;

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
 * Keeps a picture: its bytes and a WebP thumbnail in object storage, and its `media` row. Used for
 * uploads (after checks) and by the gpu-worker for generated outputs. Nothing is left half-written: a row
 * always has its bytes (a generated picture's thumbnail may follow its row, see `saveThumbnailLater`).
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

  /**
   * Writes the picture (and its thumbnail unless `thumbnail` is false), then its row; nothing is left behind on
   * failure. `created` is false when the row is another attempt's at the same job.
   */
  async function keep(input: NewMedia, thumbnail: boolean) {
    const id = crypto.randomUUID();
    const key = `media/${input.userId}/${id}.${input.ext}`;
    const thumbKey = thumbnailKey({ userId: input.userId, id });
    const dropObjects = () => Promise.allSettled([storage.delete(key), storage.delete(thumbKey)]);
    // The picture is written while its thumbnail is made; both go again when either fails.
    const written = await Promise.allSettled([
      storage.put(key, input.bytes, input.mimeType),
      thumbnail ? makeThumbnail(input.bytes).then((made) => storage.put(thumbKey, made, 'image/webp')) : undefined,
    ]);
    const failed = written.find((result) => result.status === 'rejected');
    if (failed) {
      await dropObjects();
      throw failed.reason;
    }
    let row: typeof media.$inferSelect | undefined;
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
      await dropObjects();
      throw error;
    }
    if (row) return { row, created: true };
    // Another attempt of the same job stored its picture first: that one is the result.
    await dropObjects();
    const [first] = await db.select().from(media).where(eq(media.jobId, input.jobId!));
    if (!first) throw new Error(`The result of job ${input.jobId} was removed while another was being stored`);
    return { row: first, created: false };
  }

  return {
    /**
     * Stores the picture, its thumbnail and its row. A job's result is stored once: when another attempt of
     * the same job stored its picture first, that row is returned and these bytes are dropped.
     */
    save: async (input: NewMedia) => (await keep(input, true)).row,

    /**
     * Stores the picture and its row as `save` does, and hands back the making of its thumbnail to run when the
     * caller likes: the gpu-worker puts a picture in its panel meanwhile. Until the thumbnail is there, the API
     * serves the picture itself for it. `thumbnail` is null when the row is another attempt's, with its own.
     */
    async saveThumbnailLater(input: NewMedia) {
      const { row, created } = await keep(input, false);
      const thumbnail = created ? async () => storage.put(thumbnailKey(row), await makeThumbnail(input.bytes), 'image/webp') : null;
      return { row, thumbnail };
    },

    /** Removes a picture and its bytes (e.g. a duplicate result of a retried job). */
    async remove(row: { id: string; userId: string; storagePath: string }) {
      await db.delete(media).where(eq(media.id, row.id));
      await Promise.allSettled([storage.delete(row.storagePath), storage.delete(thumbnailKey(row))]);
    },
  };
}

export type MediaStore = ReturnType<typeof createMediaStore>;
