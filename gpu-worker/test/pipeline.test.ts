// Generation end to end: the API queues, BullMQ carries, a gpu-worker runs the graph on the ComfyUI
// simulator and stores the picture; what the requester sees comes back through the API.
import { eq } from 'drizzle-orm';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GENERATION_QUEUE, redisNames } from '@inkwell/workflows';
import { createDatabaseClient, schema } from '@inkwell/db';
import { createStorage } from '@inkwell/storage';
import { createMediaStore } from '@inkwell/storage/media-store';
import { type Pipeline, addWorker, call, finished, readEvents, signUp, startPipeline, waitForJob, workerConfig } from './pipeline-harness.ts';

const database = createDatabaseClient(process.env.DATABASE_URL!, { max: 2 });
let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline({ stepMs: 5 });
});
afterAll(async () => {
  await p.close();
  await database.close();
});

const resultsOf = (jobId: string) => database.db.select().from(schema.media).where(eq(schema.media.jobId, jobId));

describe('a generation', () => {
  it('runs end to end: the picture is stored, listed and served to its owner only', async () => {
    const alice = await signUp(p);
    const queued = await call<{ id: string }>(p, alice, 'POST', '/jobs', { workflow: 'txt2img-sdxl', params: { prompt: 'a lighthouse in a storm', width: 512, height: 384, steps: 8 } });
    expect(queued.status).toBe(202);
    const job = await waitForJob(p, alice, queued.body.data.id, finished);
    expect(job).toMatchObject({ status: 'completed', progress: 100, error: null });
    expect(job.result).toMatchObject({ width: 512, height: 384, mimeType: 'image/png' });

    const file = await p.api.inject({ method: 'GET', url: job.result!.url, headers: { cookie: alice.cookie } });
    expect(file.statusCode).toBe(200);
    expect((await sharp(file.rawPayload).metadata()).width).toBe(512);
    // Its thumbnail is made when first asked for.
    const thumbnail = await p.api.inject({ method: 'GET', url: `/api/v1/media/${job.result!.id}/thumbnail`, headers: { cookie: alice.cookie } });
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    expect((await sharp(thumbnail.rawPayload).metadata()).width).toBe(320);
    const bob = await signUp(p);
    expect((await p.api.inject({ method: 'GET', url: job.result!.url, headers: { cookie: bob.cookie } })).statusCode).toBe(404);

    const [row] = await database.db.select().from(schema.jobs).where(eq(schema.jobs.id, job.id));
    expect(row!.startedAt).not.toBeNull();
    expect(row!.completedAt!.getTime()).toBeGreaterThanOrEqual(row!.startedAt!.getTime());
    expect(row!.processingTime).toBeGreaterThan(0);
    expect(await resultsOf(job.id)).toHaveLength(1);
  });

  it('reports its life in order: state, started, progress that only grows, previews, then done', async () => {
    // 30 steps of 20 ms: previews fall due while the prompt runs (word still due at its end is dropped).
    const watched = await startPipeline({ stepMs: 20 });
    try {
      const alice = await signUp(watched);
      const { body } = await call<{ id: string }>(watched, alice, 'POST', '/jobs', { workflow: 'txt2img-sdxl', params: { prompt: 'watch me', width: 256, height: 256, steps: 30 } });
      const events = await readEvents(watched, alice, body.data.id);
      const names = events.map((e) => e.event);
      expect(names[0]).toBe('state');
      expect(names.at(-1)).toBe('done');
      expect(names).toContain('progress');
      const percents = events.filter((e) => e.event === 'progress').map((e) => e.data.percent as number);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      expect(percents.at(-1)).toBe(100);
      expect(events.at(-1)!.data).toMatchObject({ status: 'completed' });
      expect(events.some((e) => e.event === 'progress' && typeof e.data.preview === 'string' && (e.data.preview as string).startsWith('data:image/jpeg'))).toBe(true);
    } finally {
      await watched.close();
    }
  });

  it('fails with ComfyUI’s message when a node errors, without retrying', async () => {
    const alice = await signUp(p);
    const { body } = await call<{ id: string }>(p, alice, 'POST', '/jobs', {
      workflow: 'txt2img-sdxl',
      params: { prompt: 'a cat [sim:error:The sampler ran out of patience]', width: 256, height: 256, steps: 4 },
    });
    const events = await readEvents(p, alice, body.data.id);
    expect(events.at(-1)).toMatchObject({ event: 'failed', data: { status: 'failed' } });
    // Running it again would fail the same way: one attempt, no "retrying" on the way.
    expect(events.map((e) => e.event)).not.toContain('retrying');
    const job = await waitForJob(p, alice, body.data.id, finished);
    expect(job.status).toBe('failed');
    expect(job.error).toContain('The sampler ran out of patience');
    expect(await resultsOf(job.id)).toHaveLength(0);
    const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
    const queue = new Queue(GENERATION_QUEUE, { connection: redis, prefix: redisNames(p.prefix).bull });
    expect((await queue.getJob(job.id))?.attemptsMade).toBe(1);
    await queue.close();
    await redis.quit();
  });

  it('turns an animated result into a GIF for the GIF workflow', async () => {
    const creator = await signUp(p, 'creator');
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: 'orange' } }).png().toBuffer();
    const boundary = 'pipelineboundary';
    const upload = await p.api.inject({
      method: 'POST',
      url: '/api/v1/media',
      headers: { cookie: creator.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="frame.png"\r\nContent-Type: image/png\r\n\r\n`),
        png,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    });
    const { body } = await call<{ id: string }>(p, creator, 'POST', '/jobs', {
      workflow: 'gif-svd',
      params: { inputImage: upload.json().data.id, width: 256, height: 256, frames: 8, steps: 4 },
    });
    const job = await waitForJob(p, creator, body.data.id, finished);
    expect(job.status, job.error ?? '').toBe('completed');
    expect(job.result!.mimeType).toBe('image/gif');
    const file = await p.api.inject({ method: 'GET', url: job.result!.url, headers: { cookie: creator.cookie } });
    expect((await sharp(file.rawPayload, { animated: true }).metadata()).pages).toBe(8);
  });
});

describe('a job whose picture is stored more than once', () => {
  it('keeps exactly one picture: a second attempt of the job links the first one’s instead of its own', async () => {
    const alice = await signUp(p);
    const { body } = await call<{ id: string }>(p, alice, 'POST', '/jobs', { workflow: 'txt2img-sdxl', params: { prompt: 'twice told', width: 256, height: 256, steps: 2 } });
    const first = await waitForJob(p, alice, body.data.id, finished);
    expect(first.status, first.error ?? '').toBe('completed');
    // Its completion was lost, say: the row as before linking, and the job handed to a worker again.
    await database.db.update(schema.jobs).set({ status: 'running', resultMediaId: null, completedAt: null }).where(eq(schema.jobs.id, first.id));
    const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
    const queue = new Queue(GENERATION_QUEUE, { connection: redis, prefix: redisNames(p.prefix).bull });
    try {
      const job = (await queue.getJob(first.id))!;
      await queue.add(job.name, job.data, { jobId: `${first.id}-again` });
      const again = await waitForJob(p, alice, first.id, (j) => j.status === 'completed' && j.result !== null);
      expect(again.result!.id).toBe(first.result!.id);
      expect((await resultsOf(first.id)).map((m) => m.id)).toEqual([first.result!.id]);
    } finally {
      await queue.close();
      await redis.quit();
    }
  });

  it('stores one row when two attempts store theirs at the same moment, and drops the other’s bytes', async () => {
    const alice = await signUp(p);
    const { body } = await call<{ id: string }>(p, alice, 'POST', '/jobs', { workflow: 'txt2img-sdxl', params: { prompt: 'raced', width: 256, height: 256, steps: 2 } });
    const done = await waitForJob(p, alice, body.data.id, finished);
    const storage = createStorage(workerConfig(p).storage);
    const store = createMediaStore({ db: database.db, storage });
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: 'teal' } }).png().toBuffer();
    const picture = { userId: alice.id, bytes: png, mimeType: 'image/png', ext: 'png', width: 32, height: 32, filename: 'raced.png', privacy: 'private' as const };
    // A job of its own, not yet stored: two attempts race to store its result.
    const [row] = await database.db.insert(schema.jobs).values({ userId: alice.id, type: 'image', workflow: 'txt2img-sdxl', parameters: {} }).returning();
    const [a, b] = await Promise.all([store.save({ ...picture, jobId: row!.id }), store.save({ ...picture, jobId: row!.id })]);
    expect(a.id).toBe(b.id);
    expect((await resultsOf(row!.id)).map((m) => m.id)).toEqual([a.id]);
    // The loser's picture is gone: only the job's earlier result and the winner's are kept.
    expect((await readdir(join(p.storageDir, 'media', alice.id))).sort()).toEqual([`${done.result!.id}.png`, `${a.id}.png`].sort());
  });
});

describe('a thumbnail', () => {
  it('is made once for those who ask at the same moment', async () => {
    const alice = await signUp(p);
    const storage = createStorage(workerConfig(p).storage);
    const written: string[] = [];
    const store = createMediaStore({ db: database.db, storage: { ...storage, put: (key, ...rest) => (written.push(key), storage.put(key, ...rest)) } });
    const png = await sharp({ create: { width: 600, height: 400, channels: 3, background: 'teal' } }).png().toBuffer();
    const row = await store.save({ userId: alice.id, bytes: png, mimeType: 'image/png', ext: 'png', width: 600, height: 400, filename: 'asked.png', privacy: 'private' });
    const views = await Promise.all([store.thumbnail(row), store.thumbnail(row), store.thumbnail(row)]);
    expect(views.map((view) => view?.size)).toEqual(Array(3).fill(views[0]!.size));
    expect(written.filter((key) => key.startsWith('thumbnails/'))).toEqual([`thumbnails/${alice.id}/${row.id}.webp`]);
  });

  it('is not left behind when its picture is removed while it is being made', async () => {
    const alice = await signUp(p);
    const store = createMediaStore({ db: database.db, storage: createStorage(workerConfig(p).storage) });
    const png = await sharp({ create: { width: 600, height: 400, channels: 3, background: 'teal' } }).png().toBuffer();
    const row = await store.save({ userId: alice.id, bytes: png, mimeType: 'image/png', ext: 'png', width: 600, height: 400, filename: 'gone.png', privacy: 'private' });
    // Its row removed and its bytes still there, as while a removal runs: the store finds the row gone once the thumbnail is written.
    await database.db.delete(schema.media).where(eq(schema.media.id, row.id));
    const made = await store.thumbnail(row);
    expect(made?.size).toBeGreaterThan(0);
    await expect(readdir(join(p.storageDir, 'thumbnails', alice.id))).resolves.toEqual([]);
  });
});

describe('cancelling', () => {
  it('interrupts a running job on ComfyUI and stores nothing', async () => {
    const slow = await startPipeline({ stepMs: 200 });
    try {
      const alice = await signUp(slow);
      const started = new Promise<string>((resolve) => slow.simulators[0]!.on('started', resolve));
      const { body } = await call<{ id: string }>(slow, alice, 'POST', '/jobs', { workflow: 'txt2img-sdxl', params: { prompt: 'too slow', width: 256, height: 256, steps: 30 } });
      const promptId = await started;
      await waitForJob(slow, alice, body.data.id, (j) => j.status === 'running');
      const events = readEvents(slow, alice, body.data.id);
      expect((await call(slow, alice, 'POST', `/jobs/${body.data.id}/cancel`)).status).toBe(202);
      // Whoever watches the job hears that it ended, and how.
      expect((await events).at(-1)).toMatchObject({ event: 'cancelled', data: { status: 'cancelled' } });
      expect(await slow.simulators[0]!.waitForPrompt(promptId)).toBe('error');
      const job = await waitForJob(slow, alice, body.data.id, finished);
      expect(job.status).toBe('cancelled');
      expect(await resultsOf(job.id)).toHaveLength(0);
    } finally {
      await slow.close();
    }
  });

  it('takes a job still waiting behind others off the queue', async () => {
    const busy = await startPipeline({ stepMs: 100, workerConfig: { promptsPerInstance: 1 } });
    try {
      const alice = await signUp(busy);
      const first = (await call<{ id: string }>(busy, alice, 'POST', '/jobs', { workflow: 'txt2img-sdxl', params: { prompt: 'first', width: 256, height: 256, steps: 20 } })).body.data;
      await waitForJob(busy, alice, first.id, (j) => j.status === 'running');
      const second = (await call<{ id: string; queuePosition: number }>(busy, alice, 'POST', '/jobs', { workflow: 'txt2img-sdxl', params: { prompt: 'second', steps: 4 } })).body.data;
      expect(second.queuePosition).toBe(1);
      const cancelled = await call<{ status: string }>(busy, alice, 'POST', `/jobs/${second.id}/cancel`);
      expect(cancelled.body.data.status).toBe('cancelled');
      expect((await waitForJob(busy, alice, first.id, finished)).status).toBe('completed');
      const after = (await call<{ status: string }>(busy, alice, 'GET', `/jobs/${second.id}`)).body.data;
      expect(after.status).toBe('cancelled');
      expect(await resultsOf(second.id)).toHaveLength(0);
    } finally {
      await busy.close();
    }
  });
});

describe('a cancel that arrives before the prompt reaches ComfyUI', () => {
  it('still stops the job: the worker remembers it for when the job turns up', async () => {
    const paused = await startPipeline({ stepMs: 20 });
    const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
    const queue = new Queue(GENERATION_QUEUE, { connection: redis, prefix: redisNames(paused.prefix).bull });
    try {
      const alice = await signUp(paused);
      await queue.pause();
      const { body } = await call<{ id: string }>(paused, alice, 'POST', '/jobs', { workflow: 'txt2img-sdxl', params: { prompt: 'never drawn', steps: 4 } });
      // What the API sends when the job is already in a worker's hands.
      await redis.publish(redisNames(paused.prefix).generationCancel, body.data.id);
      const submitted = vi.fn();
      paused.simulators[0]!.on('queued', submitted);
      await queue.resume();
      const job = await waitForJob(paused, alice, body.data.id, finished);
      expect(job.status).toBe('cancelled');
      expect(submitted).not.toHaveBeenCalled();
    } finally {
      await queue.close();
      await redis.quit();
      await paused.close();
    }
  });
});

describe('a job whose row this database does not have', () => {
  it('fails saying exactly that, in the log and as its reason, not that it was cancelled, and never runs', async () => {
    // Another deployment's job on a shared Redis, as a worker sees it.
    const stranger = await startPipeline({ workers: 0 });
    const log = vi.fn();
    await addWorker(stranger, {}, { log });
    const submitted = vi.fn();
    stranger.simulators[0]!.on('queued', submitted);
    const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
    const queue = new Queue(GENERATION_QUEUE, { connection: redis, prefix: redisNames(stranger.prefix).bull });
    try {
      const jobId = crypto.randomUUID();
      const data = { jobId, userId: crypto.randomUUID(), workflow: 'txt2img-sdxl', params: { prompt: 'not ours', steps: 4 }, target: null };
      await queue.add('txt2img-sdxl', data, { jobId, attempts: 3 });
      await vi.waitFor(async () => expect(await queue.getJobState(jobId)).toBe('failed'), { timeout: 20_000, interval: 50 });
      const job = await queue.getJob(jobId);
      expect(job?.failedReason).toContain(`No row for job ${jobId} in this worker's database`);
      expect(job?.failedReason).not.toMatch(/cancel/i);
      expect(job?.attemptsMade).toBe(1);
      expect(log).toHaveBeenCalledWith('warn', 'job has no row', expect.objectContaining({ jobId, error: job?.failedReason }));
      expect(log.mock.calls.map(([, message]) => message)).not.toContain('job cancelled');
      expect(submitted).not.toHaveBeenCalled();
    } finally {
      await queue.close();
      await redis.quit();
      await stranger.close();
    }
  });
});

describe('when ComfyUI goes away', () => {
  it('retries the job on another instance and succeeds', async () => {
    const two = await startPipeline({ simulators: 2, stepMs: 100 });
    try {
      const alice = await signUp(two);
      // Whichever instance starts the prompt dies.
      const victim = new Promise<number>((resolve) => two.simulators.forEach((sim, i) => sim.on('started', () => resolve(i))));
      const { body } = await call<{ id: string }>(two, alice, 'POST', '/jobs', { workflow: 'txt2img-sdxl', params: { prompt: 'survive', width: 256, height: 256, steps: 20 } });
      await two.simulators[await victim]!.crash();
      const job = await waitForJob(two, alice, body.data.id, finished, 30_000);
      expect(job.status, job.error ?? '').toBe('completed');
      expect(await resultsOf(job.id)).toHaveLength(1);
      const [row] = await database.db.select().from(schema.jobs).where(eq(schema.jobs.id, job.id));
      expect(row!.errorMessage).toBeNull();
    } finally {
      await two.close();
    }
  });
});
