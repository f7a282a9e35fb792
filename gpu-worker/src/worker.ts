// The gpu-worker: takes generation jobs from BullMQ, runs them on ComfyUI, stores the results, and hands
// panel pictures to the collab-server. `createGpuWorker` is what main.ts and the tests start.
import { once } from 'node:events';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createMediaStore } from '@inkwell/storage/media-store';
import { createStorage } from '@inkwell/storage';
import { createDatabaseClient } from '@inkwell/db';
import {
  COMIC_EDITS_QUEUE,
  type ComicEditJobData,
  GENERATION_QUEUE,
  type GenerationJobData,
  type GenerationResult,
  closeUnlessAway,
  quitOrDrop,
  redisNames,
  unrunnableWorkflows,
} from '@inkwell/workflows';
import { logs } from '@inkwell/workflows/log-level';
import { createComfyClient } from './comfyui/client.ts';
import type { Config } from './config.ts';
import { createWorkerMetrics } from './metrics.ts';
import { createComicEdits } from './worker/comic-edits.ts';
import { type ComfyPort, type InstancePool, createInstancePool } from './worker/instances.ts';
import { createJobRecords } from './worker/job-records.ts';
import { createGenerationProcessor } from './worker/processor.ts';

const HEALTH_CHECK_MS = 5_000;
const CLOSE_TIMEOUT_MS = 30_000;

export interface GpuWorkerOverrides {
  connect?: (url: string) => ComfyPort;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export interface GpuWorker {
  pool: InstancePool;
  /** Checks each instance has what each workflow needs, starts taking jobs and serving /healthz, /readyz, /metrics. */
  start(): Promise<number>;
  close(): Promise<void>;
}

/** The shortest lock a worker holds on a job: a busy event loop must not lose it and run the job twice. */
const MIN_LOCK_MS = 5_000;

/**
 * BullMQ's lock and stalled-check settings that hand a dead worker's job to another within `withinMs`
 * (STALLED_CHECK_SECONDS). The dead worker's lock lapses at most lockDuration after it died; a check marks
 * every active job and the next check moves a marked job whose lock is gone. With checks at least as often
 * as the lock lasts, the job moves at the first check after its lock lapsed: within lockDuration +
 * stalledInterval. (With both at 30 s, as before, a job waited up to 90 s.)
 */
export function stallSettings(withinMs: number): { lockDuration: number; stalledInterval: number } {
  const lockDuration = Math.max(withinMs / 2, MIN_LOCK_MS);
  return { lockDuration, stalledInterval: Math.max(withinMs - lockDuration, 500) };
}

export function createGpuWorker(config: Config, overrides: GpuWorkerOverrides = {}): GpuWorker {
  const log =
    overrides.log ??
    ((level, message, fields) => {
      if (!logs(config.logLevel, level)) return;
      console[level === 'info' ? 'log' : level](JSON.stringify({ level, msg: message, ...fields }));
    });
  const database = createDatabaseClient(config.databaseUrl, { max: 5 });
  // BullMQ leaves closing the connections it is given to their owner: every one made here is quit on close.
  const connections: Redis[] = [];
  // Every connection reports each failed reconnection during an outage: one warning a minute says enough.
  let lastRedisWarning = 0;
  const connection = () => {
    const made = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    made.on('error', (error) => {
      if (Date.now() - lastRedisWarning < 60_000) return;
      lastRedisWarning = Date.now();
      log('warn', 'Redis is unreachable, retrying: jobs wait until it is back', { error: error.message });
    });
    connections.push(made);
    return made;
  };
  const redis = connection();
  const subscriber = connection();
  const names = redisNames(config.redisPrefix);
  const prefix = names.bull;
  const queue = new Queue<GenerationJobData>(GENERATION_QUEUE, { connection: redis, prefix });
  const comicEdits = new Queue<ComicEditJobData>(COMIC_EDITS_QUEUE, { connection: redis, prefix });
  const comicEditEvents = new QueueEvents(COMIC_EDITS_QUEUE, { connection: connection(), prefix });
  const storage = createStorage(config.storage);
  const records = createJobRecords(database.db);
  const metrics = createWorkerMetrics(queue);
  const pool = createInstancePool({
    urls: config.comfyUrls,
    perInstance: config.promptsPerInstance,
    connect: overrides.connect ?? ((baseUrl) => createComfyClient({ baseUrl, reconnectGraceMs: config.comfyGraceMs })),
    onChange: (instance) => metrics.instance(instance),
  });
  const processor = createGenerationProcessor({
    db: database.db,
    pool,
    records,
    mediaStore: createMediaStore({ db: database.db, storage }),
    storage,
    // A picture is in its panel within seconds when a collab-server runs; the job's time limit bounds the wait.
    comicEdits: createComicEdits({ queue: comicEdits, events: comicEditEvents, applyTimeoutMs: config.jobTimeoutMs }),
    // Previews are for whoever follows the job (its event streams) or its comic (collab-servers with it loaded).
    // A panel job's word goes to both in one write.
    async publishProgress(progress) {
      const message = JSON.stringify(progress);
      const channel = names.jobProgress(progress.jobId);
      if (!progress.target) {
        await redis.publish(channel, message);
        return;
      }
      const replies = await redis.pipeline().publish(channel, message).publish(names.comicProgress(progress.target.comicId), message).exec();
      for (const [error] of replies ?? []) if (error) throw error;
    },
    jobTimeoutMs: config.jobTimeoutMs,
    metrics,
    log,
  });

  let worker: Worker<GenerationJobData, GenerationResult> | undefined;
  let health: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  /**
   * The processor records every failure it sees; this catches the ones it never sees: a job that stalled
   * (its worker died) more often than BullMQ allows.
   */
  async function onFailed(job: Job<GenerationJobData> | undefined, error: Error) {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) await processor.endJob(job, 'failed', error.message);
  }

  /** Which workflows each instance cannot run, from its node catalogue; logged so an operator can fix it. */
  async function checkInstances() {
    await Promise.all(
      pool.instances.map(async (instance) => {
        try {
          const missing = unrunnableWorkflows(await instance.client.objectInfo());
          pool.setMissing(instance, missing);
          for (const [workflow, lacks] of missing) log('warn', `ComfyUI at ${instance.url} cannot run ${workflow}`, { missing: lacks });
        } catch (error) {
          pool.markDown(instance);
          log('warn', `ComfyUI at ${instance.url} does not answer`, { error: (error as Error).message });
        }
      }),
    );
  }

  const http = createServer((request, response) => {
    serve(request, response).catch(() => {
      if (!response.headersSent) json(response, 500, { status: 'error' });
    });
  });

  async function readiness() {
    const check = async (fn: () => Promise<unknown>) => fn().then(() => 'ok' as const, () => 'unavailable' as const);
    return {
      postgres: await check(() => database.sql`select 1`),
      redis: await check(() => redis.ping()),
      comfyui: pool.instances.some((i) => i.healthy) ? ('ok' as const) : ('unavailable' as const),
    };
  }

  async function serve(request: IncomingMessage, response: ServerResponse) {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') return json(response, 200, { status: 'ok' });
    if (path === '/readyz') {
      const checks = await readiness();
      const ready = Object.values(checks).every((state) => state === 'ok');
      const instances = pool.instances.map((i) => ({ url: i.url, healthy: i.healthy, active: i.active, cannotRun: Object.fromEntries(i.missing) }));
      return json(response, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks, instances });
    }
    if (path === '/metrics') {
      response.writeHead(200, { 'content-type': metrics.registry.contentType });
      return response.end(await metrics.registry.metrics());
    }
    return json(response, 404, { status: 'not_found' });
  }

  return {
    pool,

    async start() {
      await checkInstances();
      // A SUBSCRIBE sent before the connection is ready is lost (ioredis' ready check then fails in subscriber mode).
      if (subscriber.status !== 'ready') await once(subscriber, 'ready');
      await subscriber.subscribe(names.generationCancel);
      subscriber.on('message', (_channel, jobId: string) => {
        if (processor.cancel(jobId)) log('info', 'cancelling a running job', { jobId });
      });
      worker = new Worker<GenerationJobData, GenerationResult>(GENERATION_QUEUE, (job) => processor.process(job), {
        connection: connection(),
        prefix,
        concurrency: pool.instances.length * config.promptsPerInstance,
        ...stallSettings(config.stalledIntervalMs),
      });
      worker.on('failed', (job, error) => void onFailed(job, error).catch((err: unknown) => log('error', 'could not record a failure', { error: String(err) })));
      worker.on('error', (error) => log('error', 'worker error', { error: error.message }));
      health = setInterval(() => void pool.checkHealth(), HEALTH_CHECK_MS);
      health.unref();
      await new Promise<void>((resolve) => http.listen(config.port, config.host, resolve));
      return (http.address() as AddressInfo).port;
    },

    close() {
      closing ??= (async () => {
        clearInterval(health);
        // While Redis is away nothing running could be finished or handed back: the BullMQ parts are stopped
        // without waiting (closeUnlessAway), and BullMQ's stalled-job check hands the running jobs on once it is
        // back. Otherwise worker.close() waits for running jobs with no limit of its own; a job still running
        // after that is left to the same check, which hands it to another worker.
        await closeUnlessAway(connections, () => Promise.race([worker?.close(), new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref())]));
        await closeUnlessAway(connections, () => worker?.close(true).catch(() => {}));
        pool.close();
        await new Promise((resolve) => http.close(resolve));
        for (const part of [queue, comicEdits, comicEditEvents]) await closeUnlessAway(connections, () => part.close());
        await Promise.all(connections.map(quitOrDrop));
        await database.close();
      })();
      return closing;
    },
  };
}

function json(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
