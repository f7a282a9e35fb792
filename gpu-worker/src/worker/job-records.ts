import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
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

    /** Links the result, once: false when another attempt already completed the job. */
    async complete(jobId: string, mediaId: string, processingTimeMs: number): Promise<boolean> {
      const updated = await db
        .update(jobs)
        .set({ status: 'completed', resultMediaId: mediaId, progress: 100, completedAt: new Date(), processingTime: Math.round(processingTimeMs), errorMessage: null })
        .where(and(eq(jobs.id, jobId), isNull(jobs.resultMediaId), inArray(jobs.status, ['queued', 'running'])))
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
