// The admin area's operations routes against the real thing: BullMQ queues on this test's own Redis prefix
// with jobs that really ran (completed and failed), ComfyUI simulators (one with the custom nodes the
// catalogue needs, one with the core nodes only), a ComfyUI that accepts connections and never answers, an
// address where nothing listens, and a gpu-worker's own metrics registry served over HTTP.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { Queue, Worker } from 'bullmq';
import { and, eq, like } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import { COMIC_EDITS_QUEUE, GENERATION_QUEUE, findWorkflow, redisNames } from '@inkwell/workflows';
import { createWorkerMetrics } from '../../gpu-worker/src/metrics.ts';
import { type ComfySimulator, SIMULATED_DEVICE_NAME, createComfySimulator } from '../../gpu-worker/src/simulator/index.ts';
import { createComfyProbe } from '../src/lib/comfyui-probe.ts';
import { createOperationsService } from '../src/services/operations.ts';
import { type TestApp, type TestUser, createTestApp, registerUser, testConfig } from './helper.ts';

const customNodes = JSON.parse(await readFile(new URL('../../workflows/custom-nodes/ipadapter-plus.json', import.meta.url), 'utf8'));

let t: TestApp;
let admin: TestUser;
let full: ComfySimulator;
let core: ComfySimulator;
/** Takes connections and never answers: the probe's time limit must call it down. */
let silent: ReturnType<typeof createTcpServer>;
let workerMetricsServer: Server;
let redis: Redis;
let generation: Queue;
let comicEdits: Queue;
const workers: Worker[] = [];

const urlOf = (server: { address(): AddressInfo | string | null }) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const listen = async <S extends { listen(port: number, host: string, cb: () => void): unknown }>(server: S) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
};

beforeAll(async () => {
  [full, core] = await Promise.all([
    createComfySimulator({ port: 0, stepMs: 100, extraNodes: customNodes }),
    createComfySimulator({ port: 0, stepMs: 0 }),
  ]);
  silent = await listen(createTcpServer(() => {}));
  // An address nothing listens on: a server opened and closed again.
  const closed = await listen(createTcpServer());
  const refusedUrl = urlOf(closed);
  await new Promise((resolve) => closed.close(resolve));

  const redisPrefix = `inkwell-test:${randomBytes(6).toString('hex')}:`;
  redis = new Redis(testConfig().redisUrl, { maxRetriesPerRequest: null });
  const prefix = redisNames(redisPrefix).bull;
  generation = new Queue(GENERATION_QUEUE, { connection: redis, prefix });
  comicEdits = new Queue(COMIC_EDITS_QUEUE, { connection: redis, prefix });
  const metrics = createWorkerMetrics(generation);
  metrics.finished('txt2img-sdxl', 'image', 'completed', 3);
  metrics.finished('txt2img-sdxl', 'image', 'failed', 5);
  metrics.finished('gif-svd', 'gif', 'completed', 40);
  workerMetricsServer = await listen(
    createServer(async (_request, response) => {
      response.writeHead(200, { 'content-type': metrics.registry.contentType });
      response.end(await metrics.registry.metrics());
    }),
  );
  t = await createTestApp({
    redisPrefix,
    rateLimitEnabled: false,
    comfyUrls: [full.url, core.url, urlOf(silent), refusedUrl],
    collabUrl: refusedUrl,
    workerUrl: urlOf(workerMetricsServer),
  });
  admin = await registerUser(t.app, 'admin', t.db);
}, 30_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await generation.obliterate({ force: true });
  await comicEdits.obliterate({ force: true });
  await generation.close();
  await comicEdits.close();
  redis.disconnect();
  await t.close();
  await Promise.all([full.close(), core.close()]);
  silent.close();
  workerMetricsServer.close();
});

const get = (url: string, cookie = admin.cookie) => t.app.inject({ method: 'GET', url, headers: { cookie } });
const post = (url: string, cookie = admin.cookie) => t.app.inject({ method: 'POST', url, headers: { cookie } });

async function until(check: () => Promise<boolean>, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A real worker: jobs whose data says `fail` throw that message, the others complete. */
function startWorker() {
  const worker = new Worker(
    GENERATION_QUEUE,
    async (job) => {
      if (job.data.fail) throw new Error(job.data.fail);
      return { ok: true };
    },
    { connection: redis, prefix: redisNames(t.config.redisPrefix).bull },
  );
  workers.push(worker);
  return worker;
}

const tileOf = async (name: string) => {
  const response = await get('/api/v1/admin/queues');
  expect(response.statusCode).toBe(200);
  return (response.json().data as { name: string; isPaused: boolean; counts: Record<string, number> }[]).find((q) => q.name === name)!;
};

describe('queues', () => {
  it('counts jobs by state as BullMQ holds them, and lists the failed ones with their errors, newest first', async () => {
    await generation.add('generate', { workflow: 'txt2img-sdxl' });
    await generation.add('generate', { workflow: 'txt2img-sdxl' });
    await generation.add('generate', { workflow: 'gif-svd', fail: 'CUDA out of memory' });
    const worker = startWorker();
    await until(async () => (await generation.getCompletedCount()) === 2 && (await generation.getFailedCount()) === 1, 'the first jobs');
    await worker.close();
    await generation.add('generate', { workflow: 'txt2img-sdxl' }, { priority: 5 });
    await generation.add('generate', { workflow: 'txt2img-sdxl' });
    await generation.add('generate', { workflow: 'txt2img-sdxl' });
    await generation.add('generate', { workflow: 'txt2img-sdxl' }, { delay: 60_000 });
    await comicEdits.add('set-generation', { kind: 'set-generation' });

    const response = await get('/api/v1/admin/queues');
    expect(response.json().data).toEqual([
      { name: 'generation', isPaused: false, counts: { waiting: 3, active: 0, delayed: 1, failed: 1, completed: 2 } },
      { name: 'comic-edits', isPaused: false, counts: { waiting: 1, active: 0, delayed: 0, failed: 0, completed: 0 } },
    ]);

    const failed = await get('/api/v1/admin/queues/generation/failed?limit=10');
    expect(failed.statusCode).toBe(200);
    const body = failed.json();
    expect(body.pagination).toEqual({ page: 1, limit: 10, total: 1 });
    expect(body.data).toEqual([
      { id: expect.any(String), name: 'generate', failedReason: 'CUDA out of memory', failedAt: expect.any(String), attemptsMade: 1, summary: 'gif-svd' },
    ]);
    expect(Date.now() - Date.parse(body.data[0].failedAt)).toBeLessThan(30_000);
  });

  it('pauses (no worker takes a job) and resumes (they run again), each recorded in the audit log', async () => {
    const paused = await post('/api/v1/admin/queues/generation/pause');
    expect(paused.statusCode).toBe(200);
    expect(paused.json().data.isPaused).toBe(true);
    expect(await generation.isPaused()).toBe(true);

    const worker = startWorker();
    await new Promise((r) => setTimeout(r, 500));
    expect((await tileOf('generation')).counts.completed).toBe(2);

    const resumed = await post('/api/v1/admin/queues/generation/resume');
    expect(resumed.json().data.isPaused).toBe(false);
    await until(async () => (await generation.getCompletedCount()) === 5, 'the waiting jobs to run after resume');
    await worker.close();
    expect(await auditedQueueActions()).toEqual(['queue.paused', 'queue.resumed']);
  });

  it('retries every failed job and cleans the completed ones', async () => {
    const [failedJob] = await generation.getFailed();
    const retried = await post('/api/v1/admin/queues/generation/retry-failed');
    expect(retried.statusCode).toBe(200);
    expect(retried.json().data).toMatchObject({ affected: 1, counts: { failed: 0, waiting: 1 } });
    expect(await generation.getJobState(failedJob!.id!)).toBe('waiting');

    const completedIds = (await generation.getCompleted()).map((job) => job.id!);
    expect(completedIds).toHaveLength(5);
    const cleaned = await post('/api/v1/admin/queues/generation/clean-completed');
    expect(cleaned.json().data).toMatchObject({ affected: 5, counts: { completed: 0 } });
    for (const id of completedIds) expect(await generation.getJob(id)).toBeUndefined();

    const [row] = await t.db
      .select()
      .from(schema.auditLogs)
      .where(and(eq(schema.auditLogs.userId, admin.id), eq(schema.auditLogs.action, 'queue.completed_cleaned')));
    expect(row).toMatchObject({ resourceType: 'queue', resourceId: 'generation', oldValues: { counts: { completed: 5 } }, newValues: { affected: 5, counts: { completed: 0 } } });
    expect(await auditedQueueActions()).toEqual(['queue.paused', 'queue.resumed', 'queue.failed_retried', 'queue.completed_cleaned']);
  });

  it('answers 404 for a queue that does not exist, and changes nothing', async () => {
    for (const response of [await post('/api/v1/admin/queues/nope/pause'), await get('/api/v1/admin/queues/nope/failed')]) {
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ success: false, error: { code: 'not_found' } });
    }
    expect(await auditedQueueActions()).toHaveLength(4);
  });
});

async function auditedQueueActions(): Promise<string[]> {
  const rows = await t.db
    .select({ action: schema.auditLogs.action })
    .from(schema.auditLogs)
    .where(and(eq(schema.auditLogs.userId, admin.id), like(schema.auditLogs.action, 'queue.%')))
    .orderBy(schema.auditLogs.createdAt);
  return rows.map((r) => r.action);
}

describe('while Redis is down', () => {
  it('queue operations fail as 503 queue_unavailable (the error handler answers it), never as a 500', async () => {
    // A connection that gives up at once, as the API's own does during an outage.
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const queue = new Queue(GENERATION_QUEUE, { connection: down });
    queue.on('error', () => {});
    const operations = createOperationsService({ queues: [queue], audit: { record: async () => {} }, probe: createComfyProbe({ timeoutMs: 100 }), comfyUrls: [], metrics: { api: async () => '', collab: async () => '', worker: async () => '' } });
    const auth = { user: { id: admin.id } } as Parameters<typeof operations.runAction>[0];
    const client = { ip: null, userAgent: null };
    for (const call of [operations.listQueues(), operations.runAction(auth, GENERATION_QUEUE, 'pause', client), operations.failedJobs(GENERATION_QUEUE, { page: 1, limit: 5 })]) {
      await expect(call).rejects.toMatchObject({ status: 503, code: 'queue_unavailable' });
    }
    await expect(operations.runAction(auth, 'nope', 'pause', client)).rejects.toMatchObject({ status: 404 });
    await queue.close().catch(() => {});
    down.disconnect();
  });
});

describe('ComfyUI instances', () => {
  it('shows each instance up or down, its queue and running prompts, its GPU, and the workflows it cannot run', async () => {
    const graph = findWorkflow('txt2img-sdxl')!.graphs[0]!;
    const submitted = await fetch(`${full.url}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: graph, client_id: 'ops-test' }) });
    expect(submitted.status).toBe(200);
    const { prompt_id: promptId } = (await submitted.json()) as { prompt_id: string };

    const started = Date.now();
    const response = await get('/api/v1/admin/instances');
    const elapsed = Date.now() - started;
    expect(response.statusCode).toBe(200);
    const [fullOne, coreOne, silentOne, refusedOne] = response.json().data;

    expect(fullOne).toMatchObject({ url: full.url, up: true, error: null, queue: { running: 1, pending: 0 }, runningPrompts: [promptId], cannotRun: {} });
    expect(fullOne.gpus).toHaveLength(1);
    expect(fullOne.gpus[0].name).toBe(SIMULATED_DEVICE_NAME);
    expect(fullOne.gpus[0].vramTotal).toBeGreaterThan(0);
    expect(fullOne.gpus[0].vramUsed).toBeGreaterThanOrEqual(0);

    // The core catalogue lacks the IPAdapter custom nodes: the workflows that use them cannot run there.
    expect(coreOne).toMatchObject({ up: true, queue: { running: 0, pending: 0 } });
    expect(Object.keys(coreOne.cannotRun).sort()).toEqual(['character-reference', 'character-sheet', 'comic-panel']);
    expect(coreOne.cannotRun['comic-panel']).toContain('node class IPAdapterAdvanced');

    expect(silentOne).toMatchObject({ up: false, error: 'no answer in time', queue: null, gpus: [], cannotRun: null });
    expect(refusedOne).toMatchObject({ up: false, error: 'unreachable (ECONNREFUSED)', queue: null });
    // The silent one held the answer for the probe's time limit (2 s), no longer.
    expect(elapsed).toBeLessThan(4_000);
  });
});

describe('system', () => {
  it("reads request and error rates, job durations and collaboration from the services' metrics; an unreachable one is unavailable", async () => {
    const first = await get('/api/v1/admin/system');
    expect(first.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 5; i++) await get('/api/v1/admin/queues');
    const second = (await get('/api/v1/admin/system')).json().data;

    const api = second.services.find((s: { name: string }) => s.name === 'api');
    expect(api).toMatchObject({ available: true, counts: 'HTTP requests' });
    expect(api.total).toBeGreaterThan(6);
    // 5 queue requests and the first system request came in between, in a few hundred milliseconds.
    expect(api.rate).toBeGreaterThan(1);
    expect(api.errorRate).toBe(0);

    expect(second.services.find((s: { name: string }) => s.name === 'worker')).toMatchObject({
      available: true,
      counts: 'finished jobs',
      total: 3,
      errors: 1,
      rate: 0,
      errorRate: 0,
    });
    expect(second.jobDurations).toEqual([
      { workflow: 'gif-svd', count: 1, meanSeconds: 40 },
      { workflow: 'txt2img-sdxl', count: 2, meanSeconds: 4 },
    ]);
    expect(second.services.find((s: { name: string }) => s.name === 'collab')).toEqual({
      name: 'collab',
      available: false,
      counts: null,
      total: null,
      errors: null,
      rate: null,
      errorRate: null,
    });
    expect(second.collaboration).toBeNull();
  });
});

describe('who may', () => {
  it('lets admins and super admins in, refuses users and creators, and asks the signed-out to sign in', async () => {
    const callers: [string, string | undefined, number][] = [
      ['anonymous', undefined, 401],
      ['user', (await registerUser(t.app)).cookie, 403],
      ['creator', (await registerUser(t.app, 'creator', t.db)).cookie, 403],
      ['admin', admin.cookie, 200],
      ['super_admin', (await registerUser(t.app, 'super_admin', t.db)).cookie, 200],
    ];
    for (const [role, cookie, status] of callers) {
      for (const url of ['/api/v1/admin/queues', '/api/v1/admin/queues/comic-edits/failed', '/api/v1/admin/instances', '/api/v1/admin/system']) {
        const response = await t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
        expect(response.statusCode, `${role} GET ${url}`).toBe(status);
      }
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/admin/queues/comic-edits/pause', headers: cookie ? { cookie } : {} });
      expect(response.statusCode, `${role} pause`).toBe(status);
      expect(await comicEdits.isPaused()).toBe(status === 200);
      if (status === 200) await comicEdits.resume();
    }
  });
});
