import { and, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Database } from '@inkwell/db';
import { schema } from '@inkwell/db';

const { jobs, media } = schema;

/** The gpu-worker's writes to a job's row: what the API reads back and streams to the requester. */
export function createJobRecords(db: Database) {
  return {
    async find(jobId: string) {
      const [row] = await db.select().from(jobs).where(eq(jobs.id, jobId));
      return row;
    },

    async markRunning(jobId: string): Promise<void> {
      await db
        .update(jobs)
        .set({ status: 'running', startedAt: sql`coalesce(${jobs.startedAt}, now())`, errorMessage: null })
        .where(and(eq(jobs.id, jobId), inArray(jobs.status, ['queued', 'running'])));
    },

    async progress(jobId: string, percent: number): Promise<void> {
      await db.update(jobs).set({ progress: Math.max(0, Math.min(99, Math.round(percent))) }).where(and(eq(jobs.id, jobId), eq(jobs.status, 'running')));
    },

    /** A picture from an earlier attempt of this job that was stored but not yet linked (its worker died). */
    async orphanResult(jobId: string) {
      const [row] = await db.select().from(media).where(sql`${media.metadata}->>'jobId' = ${jobId}`).limit(1);
      return row;
    },

    /**
     * Links the stored picture to the job, once: false when another attempt linked its own first. The job
     * stays running until `complete`: for a panel job, until the picture is in the panel.
     */
    async link(jobId: string, mediaId: string, processingTimeMs: number): Promise<boolean> {
      const updated = await db
        .update(jobs)
        .set({ resultMediaId: mediaId, processingTime: Math.round(processingTimeMs) })
        .where(and(eq(jobs.id, jobId), isNull(jobs.resultMediaId), inArray(jobs.status, ['queued', 'running'])))
        .returning({ id: jobs.id });
      return updated.length === 1;
    },

    /** The width and height of a linked picture (kept in its metadata). */
    async size(mediaId: string): Promise<{ width: number | null; height: number | null }> {
      const [row] = await db.select({ metadata: media.metadata }).from(media).where(eq(media.id, mediaId));
      const { width, height } = (row?.metadata ?? {}) as { width?: number; height?: number };
      return { width: width ?? null, height: height ?? null };
    },

    /** Marks a linked job completed, once. */
    async complete(jobId: string): Promise<boolean> {
      const updated = await db
        .update(jobs)
        .set({ status: 'completed', progress: 100, completedAt: new Date(), errorMessage: null })
        .where(and(eq(jobs.id, jobId), isNotNull(jobs.resultMediaId), inArray(jobs.status, ['queued', 'running'])))
        .returning({ id: jobs.id });
      return updated.length === 1;
    },

    /** Ends the job, once: false when it had already ended. */
    async fail(jobId: string, status: 'failed' | 'cancelled', message: string): Promise<boolean> {
      const ended = await db
        .update(jobs)
        .set({ status, errorMessage: message.slice(0, 2000), completedAt: new Date() })
        .where(and(eq(jobs.id, jobId), inArray(jobs.status, ['queued', 'running'])))
        .returning({ id: jobs.id });
      return ended.length === 1;
    },

    /** Back to the queue for another attempt, saying why. */
    async retrying(jobId: string, message: string): Promise<void> {
      await db
        .update(jobs)
        .set({ status: 'queued', errorMessage: `Retrying after: ${message}`.slice(0, 2000), progress: 0 })
        .where(and(eq(jobs.id, jobId), eq(jobs.status, 'running')));
    },
  };
}

export type JobRecords = ReturnType<typeof createJobRecords>;
