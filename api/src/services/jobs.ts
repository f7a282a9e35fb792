import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { and, count, desc, eq, gt, ilike, inArray, lt, or, sql } from 'drizzle-orm';
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Database } from '@inkwell/db';
import { schema } from '@inkwell/db';
import {
  COMIC_EDIT_OPTIONS,
  type ComicEditJobData,
  type GenerationJobData,
  comicEditJobId,
  type GenerationProgress,
  type PanelTarget,
  type WorkflowDefinition,
  findWorkflow,
  generationProgress,
  limitsFor,
  parseMessage,
  quitOrDrop,
  redisNames,
  whenReady,
} from '@inkwell/workflows';
import { AppError, conflict, forbidden, notFound } from '../errors.ts';
import { escapeLike } from '../lib/like.ts';
import { type PageRequest, paginate } from '../lib/pagination.ts';
import type { CharacterService } from './characters.ts';
import type { ComicService } from './comics.ts';
import { type MediaService, presentMedia } from './media.ts';
import type { Auth, ClientInfo } from './sessions.ts';

const { jobs, media } = schema;

/** BullMQ runs lower numbers first: staff before creators before everyone else. */
function priorityFor(roleLevel: number): number {
  return roleLevel >= 4 ? 1 : roleLevel === 3 ? 2 : 3;
}

/** How much GPU time a role may ask for: jobs a day, and jobs waiting or running at once. */
export function quotaFor(roleLevel: number): { perDay: number; active: number } {
  if (roleLevel >= 4) return { perDay: 10_000, active: 20 };
  if (roleLevel === 3) return { perDay: 300, active: 6 };
  return { perDay: 60, active: 3 };
}

/** A workflow's parameter schema for a role level, built once: building one costs more than a request's checks. */
const paramSchemas = new Map<string, ReturnType<WorkflowDefinition['params']>>();
function paramsSchema(workflow: WorkflowDefinition, roleLevel: number) {
  const key = `${workflow.id}:${roleLevel}`;
  let schema = paramSchemas.get(key);
  if (!schema) paramSchemas.set(key, (schema = workflow.params(limitsFor(roleLevel))));
  return schema;
}

const ATTEMPTS = 3;
/** How long an event stream opened while the API connects to Redis waits for it before going on without progress. */
const PROGRESS_CONNECT_WAIT_MS = 1000;
/** How often the watchers of queued jobs hear their places in the queue. */
export const POSITION_EVERY_MS = 2000;
const TERMINAL = ['completed', 'failed', 'cancelled'] as const;

type JobRow = typeof jobs.$inferSelect;
type MediaRow = typeof media.$inferSelect;

function presentJob(row: JobRow, result: MediaRow | null, queuePosition: number | null) {
  return {
    id: row.id,
    workflow: row.workflow,
    type: row.type,
    status: row.status as 'queued' | 'running' | 'completed' | 'failed' | 'cancelled',
    progress: row.progress,
    params: row.parameters,
    target: targetOf(row),
    result: result ? presentMedia(result) : null,
    error: row.errorMessage,
    queuePosition,
    processingTimeMs: row.processingTime,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    completedAt: row.completedAt?.toISOString() ?? null,
  };
}

export type PresentedJob = ReturnType<typeof presentJob>;

export interface JobRequest {
  workflow: string;
  params: Record<string, unknown>;
  target?: PanelTarget | undefined;
}

const targetOf = (row: JobRow): PanelTarget | null =>
  row.targetComicId && row.targetPanelId ? { comicId: row.targetComicId, panelId: row.targetPanelId } : null;

/** What happens to one job, as the queue reports it; the events route turns these into server-sent events. */
export type JobSignal =
  | { kind: 'active' }
  | { kind: 'progress'; progress: GenerationProgress }
  | { kind: 'position'; position: number }
  | { kind: 'settled' };

export function createJobService(deps: {
  db: Database;
  queue: Queue<GenerationJobData>;
  /** Panel jobs show their state in the comic: queued when added, cancelled when taken off the queue. */
  comicEdits: Queue<ComicEditJobData>;
  queueEvents: QueueEvents;
  /** Publishes cancellations to the gpu-workers; a copy of it hears the progress of watched jobs. */
  redis: Redis;
  redisPrefix: string;
  media: Pick<MediaService, 'unusableImage' | 'remove'>;
  comics: Pick<ComicService, 'requireRole'>;
  characters: Pick<CharacterService, 'withStyleLock' | 'cast'>;
}) {
  const { db, queue, queueEvents } = deps;

  const names = redisNames(deps.redisPrefix);
  // One listener on the queue's event stream per API instance, fanned out to the requests that watch a job.
  const signals = new EventEmitter();
  signals.setMaxListeners(0);
  queueEvents.on('active', ({ jobId }) => signals.emit(jobId, { kind: 'active' } satisfies JobSignal));
  for (const event of ['completed', 'failed', 'removed', 'delayed', 'waiting'] as const) {
    queueEvents.on(event, ({ jobId }: { jobId: string }) => signals.emit(jobId, { kind: 'settled' } satisfies JobSignal));
  }

  async function findOwn(actor: Auth, id: string): Promise<JobRow> {
    const [row] = await db.select().from(jobs).where(and(eq(jobs.id, id), eq(jobs.userId, actor.user.id)));
    if (!row) throw notFound('Job');
    return row;
  }

  async function resultOf(row: JobRow): Promise<MediaRow | null> {
    if (!row.resultMediaId) return null;
    const [item] = await db.select().from(media).where(eq(media.id, row.resultMediaId));
    return item ?? null;
  }

  // Progress and preview frames come on a channel per job, heard only while someone here watches that job.
  const progress = deps.redis.duplicate();
  // An outage is logged by the connection this one copies.
  progress.on('error', () => {});
  progress.on('message', (channel: string, raw: string) => {
    const message = parseMessage(generationProgress, raw);
    if (message && channel === names.jobProgress(message.jobId)) signals.emit(message.jobId, { kind: 'progress', progress: message } satisfies JobSignal);
  });
  const ready = whenReady(progress);
  /**
   * Subscribes to a job's progress while the first of its watchers here watches, and unsubscribes after the
   * last. A SUBSCRIBE sent before the connection is ready is lost: a stream opened as the API starts waits a
   * moment for it; while Redis is away streams go on without progress (ioredis subscribes again when it is back).
   */
  async function followProgress(id: string, change: 'subscribe' | 'unsubscribe'): Promise<void> {
    if (change === 'subscribe' && progress.status !== 'ready') await Promise.race([ready, delay(PROGRESS_CONNECT_WAIT_MS)]);
    if (progress.status === 'ready') await progress[change](names.jobProgress(id)).catch(() => {});
  }

  /**
   * For each job, the jobs ahead of it: those running, then those that will start before it, exactly as
   * BullMQ 6 takes them: its wait list first, from the right (jobs without a priority), then the prioritized
   * set, lowest score first (priority, then order of arrival). Counts and ranks Redis keeps, for all the jobs
   * in one round trip. A job waiting to be retried reads 0; null when it is not waiting.
   */
  async function positionsOf(ids: string[]): Promise<Map<string, number | null>> {
    const [active, wait, prioritized, delayed] = (['active', 'wait', 'prioritized', 'delayed'] as const).map((state) => queue.toKey(state)) as [string, string, string, string];
    const read = deps.redis.multi().llen(active).llen(wait);
    for (const id of ids) read.lpos(wait, id).zrank(prioritized, id).zscore(delayed, id);
    const [running, waiting, ...ranks] = ((await read.exec()) ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [number, number, ...Array<number | string | null>];
    return new Map(
      ids.map((id, n) => {
        const [inWait, rank, delayedScore] = ranks.slice(3 * n, 3 * n + 3) as [number | null, number | null, string | null];
        if (inWait !== null) return [id, running + waiting - 1 - inWait];
        if (rank !== null) return [id, running + waiting + rank];
        return [id, delayedScore !== null ? 0 : null];
      }),
    );
  }

  async function positionOf(id: string): Promise<number | null> {
    return (await positionsOf([id])).get(id) ?? null;
  }

  // The watchers of queued jobs hear their places from one ticker per API instance: one read of Redis for all
  // the jobs watched here, however many streams watch each (each stream passes on only what changed).
  let positionTicker: NodeJS.Timeout | undefined;
  let announcing = false;
  async function announcePositions(): Promise<void> {
    const watched = signals.eventNames() as string[];
    // A read still under way (Redis is slow or away) is not joined by another.
    if (announcing || watched.length === 0) return;
    announcing = true;
    try {
      for (const [id, position] of await positionsOf(watched)) {
        if (position !== null) signals.emit(id, { kind: 'position', position } satisfies JobSignal);
      }
    } finally {
      announcing = false;
    }
  }

  async function editComic(edit: ComicEditJobData) {
    await deps.comicEdits.add(edit.kind, edit, { jobId: comicEditJobId(edit), ...COMIC_EDIT_OPTIONS });
  }

  /**
   * Ends a queued or running job without the worker: the row, its watchers and its panel. False when the
   * row had already ended (a worker finished it in the meantime).
   */
  async function settle(row: JobRow, status: 'cancelled' | 'failed', message: string): Promise<boolean> {
    const updated = await db
      .update(jobs)
      .set({ status, completedAt: new Date(), errorMessage: message })
      .where(and(eq(jobs.id, row.id), inArray(jobs.status, ['queued', 'running'])))
      .returning({ id: jobs.id });
    if (!updated.length) return false;
    signals.emit(row.id, { kind: 'settled' } satisfies JobSignal);
    if (row.targetComicId && row.targetPanelId) {
      await editComic({ kind: 'set-generation', jobId: row.id, comicId: row.targetComicId, panelId: row.targetPanelId, status, message });
    }
    return true;
  }

  /** The characters a panel job names, resolved from its comic's library: the job records what it drew. */
  async function withCast(actor: Auth, params: Record<string, unknown>, target: PanelTarget | undefined) {
    const ids = (params.characters as string[] | undefined) ?? [];
    if (!ids.length) return;
    if (!target) throw new AppError(400, 'validation_error', "Characters come from a comic's library", [{ path: 'params.characters', message: 'Draw them in a panel of the comic' }]);
    params.cast = await deps.characters.cast(actor, target.comicId, ids);
  }

  /** A request checked against the catalogue and the caller's rights: its workflow, with the parameters to run. */
  async function prepare(actor: Auth, input: JobRequest) {
    const workflow = findWorkflow(input.workflow);
    if (!workflow) throw new AppError(404, 'unknown_workflow', `There is no workflow called ${input.workflow}`);
    if (!actor.user.permissions.has(workflow.permission)) {
      throw forbidden(`${workflow.name} is for creators: ask an admin for the creator role`);
    }
    if (input.target) {
      if (workflow.jobType !== 'comic' && workflow.jobType !== 'image') {
        throw new AppError(400, 'validation_error', 'Only pictures can go into a panel', [{ path: 'target', message: 'Choose an image workflow' }]);
      }
      // The job would put a picture in the comic: checked once, before anything of the comic is read.
      await deps.comics.requireRole(actor, input.target.comicId, 'editor');
    }
    // A panel job aimed at a comic takes the comic's style lock for what its request leaves out.
    const requested = workflow.id === 'comic-panel' && input.target ? await deps.characters.withStyleLock(input.target.comicId, input.params) : input.params;
    const parsed = paramsSchema(workflow, actor.user.role.level).safeParse(requested);
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => ({ path: ['params', ...i.path].join('.'), message: i.message }));
      throw new AppError(400, 'validation_error', 'These settings cannot be used', details);
    }
    const params: Record<string, unknown> = { ...parsed.data };
    // The seed is decided now and kept, so that a result can be made again.
    params.seed ??= Math.floor(Math.random() * 2 ** 32);

    for (const name of workflow.imageParams) {
      const id = params[name];
      if (typeof id !== 'string') continue;
      const refused = await deps.media.unusableImage(actor, id);
      if (refused) throw new AppError(400, 'validation_error', refused.message, [{ path: `params.${name}`, message: refused.detail }]);
    }
    await withCast(actor, params, input.target);
    return { workflow, params, target: input.target ?? null };
  }

  // A user's jobs of the last day and those unfinished, in one round trip. Every POST /jobs runs it: built by
  // drizzle once (which costs more than the query itself), parsed by Postgres once per connection.
  const recent = gt(jobs.createdAt, sql`now() - interval '1 day'`);
  const unfinished = inArray(jobs.status, ['queued', 'running']);
  const quotaCounts = db
    .select({ today: sql<number>`(count(*) filter (where ${recent}))::int`, active: sql<number>`(count(*) filter (where ${unfinished}))::int` })
    .from(jobs)
    .where(and(eq(jobs.userId, sql.placeholder('userId')), or(recent, unfinished)))
    .prepare('job_quota_counts');

  /**
   * Refuses `adding` more generations past the caller's quota. A batch (a page of panels) may pass the number
   * waiting at once when nothing else of theirs is waiting: the page is drawn, the next one waits for it.
   */
  async function checkQuota(actor: Auth, adding: number) {
    const quota = quotaFor(actor.user.role.level);
    const [counts] = await quotaCounts.execute({ userId: actor.user.id });
    const used = counts?.today ?? 0;
    if (used + adding > quota.perDay) {
      const left = Math.max(0, quota.perDay - used);
      throw new AppError(429, 'quota_exceeded', adding === 1 || left === 0 ? `You have used today's ${quota.perDay} generations; more tomorrow` : `Only ${left} of today's ${quota.perDay} generations are left, and this needs ${adding}`);
    }
    const waiting = counts?.active ?? 0;
    if (waiting > 0 && waiting + adding > quota.active) {
      throw new AppError(
        429,
        'too_many_active_jobs',
        adding === 1 ? `You already have ${quota.active} generations waiting or running: wait for one to finish` : `You have ${waiting} generation${waiting === 1 ? '' : 's'} waiting or running: wait for ${waiting === 1 ? 'it' : 'them'} to finish before drawing ${adding} more`,
      );
    }
  }

  type Prepared = Awaited<ReturnType<typeof prepare>>;

  /** Writes the rows and queues them, all or none. */
  async function enqueue(actor: Auth, requests: Prepared[], batchId: string | null): Promise<JobRow[]> {
    const values = requests.map(({ workflow, params, target }) => ({
      id: randomUUID(),
      userId: actor.user.id,
      type: workflow.jobType,
      workflow: workflow.id,
      parameters: params,
      targetComicId: target?.comicId ?? null,
      targetPanelId: target?.panelId ?? null,
      batchId,
    }));
    const inserted = new Map((await db.insert(jobs).values(values).returning()).map((row) => [row.id, row]));
    const ordered = values.map((value) => inserted.get(value.id)!);
    // The rows and the queue entries exist together or not at all: a row with no entry stays queued for ever.
    await queue
      .addBulk(
        ordered.map((row) => ({
          name: row.workflow,
          data: { jobId: row.id, userId: actor.user.id, workflow: row.workflow, params: row.parameters as Record<string, unknown>, target: targetOf(row) },
          opts: {
            jobId: row.id,
            priority: priorityFor(actor.user.role.level),
            attempts: ATTEMPTS,
            backoff: { type: 'exponential', delay: 2000 },
            removeOnComplete: { age: 24 * 3600 },
            removeOnFail: { age: 7 * 24 * 3600 },
          },
        })),
      )
      .catch(async () => {
        await db.delete(jobs).where(inArray(jobs.id, ordered.map((row) => row.id)));
        throw new AppError(503, 'queue_unavailable', 'Generations cannot be queued right now: try again in a moment');
      });
    return ordered;
  }

  async function present(row: JobRow) {
    return presentJob(row, await resultOf(row), row.status === 'queued' ? await positionOf(row.id) : null);
  }

  /** Queued rows as answered, while each panel job's "queued" is handed to its comic: neither waits for the other. */
  async function presentQueued(rows: JobRow[]) {
    const shown = rows.map((row) => {
      const target = targetOf(row);
      return target ? editComic({ kind: 'set-generation', jobId: row.id, ...target, status: 'queued' }) : undefined;
    });
    const [presented] = await Promise.all([Promise.all(rows.map(present)), ...shown]);
    return presented;
  }

  return {
    /** Queues a server-side edit of a comic's document for the collab-servers (each edit once). */
    editComic,

    async create(actor: Auth, input: JobRequest) {
      // The request's checks and the quota's counts at once; a bad request is still reported before a full quota.
      const [prepared, quota] = await Promise.allSettled([prepare(actor, input), checkQuota(actor, 1)]);
      if (prepared.status === 'rejected') throw prepared.reason;
      if (quota.status === 'rejected') throw quota.reason;
      const [presented] = await presentQueued(await enqueue(actor, [prepared.value], null));
      return presented!;
    },

    /** Several jobs queued together as one batch (a page of panels from a script), all or none. */
    async createBatch(actor: Auth, inputs: JobRequest[]) {
      // Checked together; the first bad request in the batch's order is the one reported.
      const checked = await Promise.allSettled(inputs.map((input) => prepare(actor, input)));
      const refused = checked.find((result) => result.status === 'rejected');
      if (refused) throw refused.reason;
      const requests = checked.map((result) => (result as PromiseFulfilledResult<Prepared>).value);
      await checkQuota(actor, requests.length);
      const batchId = randomUUID();
      return { batchId, jobs: await presentQueued(await enqueue(actor, requests, batchId)) };
    },

    /** Fails queued rows older than `olderThanMs` that have no queue entry: nothing would ever run them. */
    async failOrphans(olderThanMs: number): Promise<number> {
      const cutoff = new Date(Date.now() - olderThanMs);
      const queued = await db.select().from(jobs).where(and(eq(jobs.status, 'queued'), lt(jobs.createdAt, cutoff)));
      let failed = 0;
      for (const row of queued) {
        if (await queue.getJob(row.id)) continue;
        if (await settle(row, 'failed', 'Lost before it reached the queue: please try again')) failed += 1;
      }
      return failed;
    },

    /** My generations, newest first: by state, by type, and by words of their prompt. */
    async list(actor: Auth, query: PageRequest & { status?: string | undefined; type?: string | undefined; q?: string | undefined }) {
      const where = and(
        eq(jobs.userId, actor.user.id),
        query.status ? eq(jobs.status, query.status) : undefined,
        query.type ? eq(jobs.type, query.type) : undefined,
        query.q ? ilike(sql`${jobs.parameters}->>'prompt'`, `%${escapeLike(query.q)}%`) : undefined,
      );
      const { items, total } = await paginate(
        query,
        ({ limit, offset }) => db.select().from(jobs).where(where).orderBy(desc(jobs.createdAt)).limit(limit).offset(offset),
        db.select({ total: count() }).from(jobs).where(where),
      );
      return { items: await Promise.all(items.map(present)), total };
    },

    async get(actor: Auth, id: string) {
      return present(await findOwn(actor, id));
    },

    /** Deletes one of my generations that has ended, with its picture (which comics may show: the caller was told). */
    async remove(actor: Auth, id: string, client?: ClientInfo): Promise<void> {
      const row = await findOwn(actor, id);
      if (!(TERMINAL as readonly string[]).includes(row.status)) throw conflict('still_running', 'Cancel this generation before deleting it');
      if (row.resultMediaId) await deps.media.remove(actor, row.resultMediaId, client);
      await db.delete(jobs).where(eq(jobs.id, id));
    },

    /** A queued job is taken off the queue; a running one is interrupted by the worker that runs it. */
    async cancel(actor: Auth, id: string) {
      const row = await findOwn(actor, id);
      if ((TERMINAL as readonly string[]).includes(row.status)) throw conflict('already_finished', `This job has already ${row.status === 'completed' ? 'finished' : row.status}`);
      const job = await queue.getJob(id);
      const state = await job?.getState();
      // A queued row with no queue entry (lost to a Redis failure) has nothing to interrupt: just settle it.
      if (!job && row.status === 'queued') {
        await settle(row, 'cancelled', 'Cancelled');
        return present(await findOwn(actor, id));
      }
      if (job && (state === 'waiting' || state === 'prioritized' || state === 'delayed')) {
        try {
          await job.remove();
          await settle(row, 'cancelled', 'Cancelled');
          return present(await findOwn(actor, id));
        } catch {
          // A worker took it in the meantime: interrupt it instead.
        }
      }
      await deps.redis.publish(redisNames(deps.redisPrefix).generationCancel, id);
      return present(row);
    },

    /** Watches one of the caller's jobs: `onSignal` gets every change until `stop` is called. */
    async watch(actor: Auth, id: string, onSignal: (signal: JobSignal) => void): Promise<() => void> {
      await findOwn(actor, id);
      const first = signals.listenerCount(id) === 0;
      signals.on(id, onSignal);
      positionTicker ??= setInterval(() => void announcePositions().catch(() => {}), POSITION_EVERY_MS);
      if (first) await followProgress(id, 'subscribe');
      return () => {
        signals.off(id, onSignal);
        if (signals.listenerCount(id) > 0) return;
        void followProgress(id, 'unsubscribe');
        if (signals.eventNames().length === 0) {
          clearInterval(positionTicker);
          positionTicker = undefined;
        }
      };
    },

    async close() {
      clearInterval(positionTicker);
      await quitOrDrop(progress);
    },

    isTerminal: (status: string) => (TERMINAL as readonly string[]).includes(status),
  };
}

export type JobService = ReturnType<typeof createJobService>;
