import { and, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Database } from '@inkwell/db';
import { schema } from '@inkwell/db';

const { jobs, media } = schema;

/** A stored picture's width and height, as the media store keeps them in its metadata. */
export function sizeOf(metadata: unknown): { width: number | null; height: number | null } {
  const { width, height } = (metadata ?? {}) as { width?: number | null; height?: number | null };
  return { width: width ?? null, height: height ?? null };
}

/**
 * The gpu-worker's writes to a job's row: what the API reads back and streams to the requester. The writes
 * every job makes are prepared once (built by drizzle once, parsed by Postgres once per connection).
 */
export function createJobRecords(db: Database) {
  const id = sql.placeholder('jobId');
  const unfinished = and(eq(jobs.id, id), inArray(jobs.status, ['queued', 'running']));
  const markRunning = db
    .update(jobs)
    .set({ status: 'running', startedAt: sql`coalesce(${jobs.startedAt}, now())`, errorMessage: null })
    .where(unfinished)
    .returning()
    .prepare('worker_mark_running');
  const linkWhere = and(eq(jobs.id, id), isNull(jobs.resultMediaId), inArray(jobs.status, ['queued', 'running']));
  // Update sets take no placeholders in drizzle's types; one inside sql`` is filled in all the same.
  const linked = { resultMediaId: sql`${sql.placeholder('mediaId')}`, processingTime: sql`${sql.placeholder('processingTime')}` };
  const completed = { status: 'completed', progress: 100, completedAt: sql`now()`, errorMessage: null } as const;
  const link = db.update(jobs).set(linked).where(linkWhere).returning({ id: jobs.id }).prepare('worker_link');
  const linkAndComplete = db.update(jobs).set({ ...linked, ...completed }).where(linkWhere).returning({ id: jobs.id }).prepare('worker_link_complete');
  const complete = db
    .update(jobs)
    .set(completed)
    .where(and(eq(jobs.id, id), isNotNull(jobs.resultMediaId), inArray(jobs.status, ['queued', 'running'])))
    .returning({ id: jobs.id })
    .prepare('worker_complete');

  return {
    async find(jobId: string) {
      const [row] = await db.select().from(jobs).where(eq(jobs.id, jobId));
      return row;
    },

    /** Marks a queued or running job running and returns its row; undefined when it has ended (or never was). */
    async markRunning(jobId: string) {
      const [row] = await markRunning.execute({ jobId });
      return row;
    },

    async progress(jobId: string, percent: number): Promise<void> {
      await db.update(jobs).set({ progress: Math.max(0, Math.min(99, Math.round(percent))) }).where(and(eq(jobs.id, jobId), eq(jobs.status, 'running')));
    },

    /**
     * Links the stored picture to the job, once: false when another attempt linked its own first. With
     * `complete` the job is completed in the same write (nothing else to wait for); otherwise it stays running
     * until `complete`: for a panel job, until the picture is in the panel.
     */
    async link(jobId: string, mediaId: string, processingTimeMs: number, andComplete: boolean): Promise<boolean> {
      const updated = await (andComplete ? linkAndComplete : link).execute({ jobId, mediaId, processingTime: Math.round(processingTimeMs) });
      return updated.length === 1;
    },

    /** The width and height of a linked picture (kept in its metadata). */
    async size(mediaId: string): Promise<{ width: number | null; height: number | null }> {
      const [row] = await db.select({ metadata: media.metadata }).from(media).where(eq(media.id, mediaId));
      return sizeOf(row?.metadata);
    },

    /** Marks a linked job completed, once. */
    async complete(jobId: string): Promise<boolean> {
      const updated = await complete.execute({ jobId });
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
