import { type AddressInfo, connect } from 'node:net';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { schema } from '@inkwell/db';
import { GENERATION_QUEUE, type GenerationJobData, redisNames } from '@inkwell/workflows';
import { MAX_STREAMS_PER_ACCOUNT } from '../src/routes/jobs.ts';
import { POSITION_EVERY_MS, quotaFor } from '../src/services/jobs.ts';
import { type TestApp, type TestUser, createTestApp, expectError, registerUser } from './helper.ts';

// No worker runs here: these tests are about what the API accepts, queues and reports.
let t: TestApp;
let queue: Queue<GenerationJobData>;
let alice: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  queue = new Queue(GENERATION_QUEUE, { connection: new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null }), prefix: redisNames(t.config.redisPrefix).bull });
  alice = await registerUser(t.app);
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  await t.close();
});

const post = (user: TestUser, url: string, payload?: object) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { cookie: user.cookie }, ...(payload && { payload }) });
const get = (user: TestUser, url: string) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { cookie: user.cookie } });
const submit = (user: TestUser, body: object) => post(user, '/jobs', body);

describe('queueing a generation', () => {
  it('validates against the catalogue, records the decided seed and queues it once, with the role’s priority', async () => {
    const response = await submit(alice, { workflow: 'txt2img-sdxl', params: { prompt: 'a lighthouse at dusk', width: 512, height: 768 } });
    expect(response.statusCode).toBe(202);
    const job = response.json().data;
    expect(job).toMatchObject({ workflow: 'txt2img-sdxl', type: 'image', status: 'queued', progress: 0, result: null, target: null });
    expect(job.params).toMatchObject({ prompt: 'a lighthouse at dusk', width: 512, height: 768, steps: 25 });
    expect(Number.isInteger(job.params.seed)).toBe(true);

    const queued = await queue.getJob(job.id);
    expect(queued?.name).toBe('txt2img-sdxl');
    expect(queued?.data).toMatchObject({ jobId: job.id, userId: alice.id, params: { seed: job.params.seed } });
    expect(queued?.opts).toMatchObject({ attempts: 3, priority: 3, backoff: { type: 'exponential' } });

    const [row] = await t.db.select().from(schema.jobs).where(eq(schema.jobs.id, job.id));
    expect(row).toMatchObject({ status: 'queued', userId: alice.id, workflow: 'txt2img-sdxl' });
    expect((await get(alice, `/jobs/${job.id}`)).json().data.queuePosition).toBeGreaterThanOrEqual(0);
  });

  it('refuses bad settings with the field that is wrong, and queues nothing', async () => {
    const before = await queue.count();
    const response = await submit(alice, { workflow: 'txt2img-sdxl', params: { prompt: '', width: 4096, steps: 'many' } });
    expectError(response, 400, 'validation_error');
    expect(response.json().error.details.map((d: { path: string }) => d.path).sort()).toEqual(['params.prompt', 'params.steps', 'params.width']);
    expectError(await submit(alice, { workflow: 'does-not-exist', params: {} }), 404, 'unknown_workflow');
    expectError(await submit(alice, { workflow: 'txt2img-sdxl' }), 400, 'validation_error');
    expect(await queue.count()).toBe(before);
  });

  it('keeps video and GIF for creators', async () => {
    const user = await registerUser(t.app);
    const creator = await registerUser(t.app, 'creator', t.db);
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: 'red' } }).png().toBuffer();
    const mediaId = await upload(creator, png);
    expectError(await submit(user, { workflow: 'gif-svd', params: { inputImage: mediaId } }), 403, 'forbidden');
    expect((await submit(creator, { workflow: 'gif-svd', params: { inputImage: mediaId } })).statusCode).toBe(202);
    const list = (await get(user, '/workflows')).json().data;
    expect(list.find((w: { id: string }) => w.id === 'gif-svd').allowed).toBe(false);
    expect(list.find((w: { id: string }) => w.id === 'comic-panel').allowed).toBe(true);
  });

  it('feeds the GPU only pictures the caller may see', async () => {
    const bob = await registerUser(t.app);
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: 'blue' } }).png().toBuffer();
    const bobs = await upload(bob, png);
    const response = await submit(alice, { workflow: 'img2img-sdxl', params: { prompt: 'redraw', inputImage: bobs } });
    expectError(response, 400, 'validation_error');
    expect(response.json().error.details[0].path).toBe('params.inputImage');
    expect((await submit(bob, { workflow: 'img2img-sdxl', params: { prompt: 'redraw', inputImage: bobs } })).statusCode).toBe(202);
  });

  it('puts a picture into a panel only for the comic’s editors', async () => {
    const owner = await registerUser(t.app);
    const viewer = await registerUser(t.app);
    const comic = (await post(owner, '/comics', { title: 'Panels' })).json().data;
    await post(owner, `/comics/${comic.id}/members`, { username: viewer.username, role: 'viewer' });
    const body = { workflow: 'comic-panel', params: { prompt: 'a storm', style: 'noir' }, target: { comicId: comic.id, panelId: 'shape:panel1' } };
    expectError(await submit(viewer, body), 403, 'forbidden');
    expectError(await submit(alice, body), 404, 'not_found');
    const queued = await submit(owner, body);
    expect(queued.statusCode).toBe(202);
    expect(queued.json().data.target).toEqual({ comicId: comic.id, panelId: 'shape:panel1' });
    expectError(await submit(owner, { ...body, target: { comicId: comic.id, panelId: 'not a shape' } }), 400, 'validation_error');
  });

  it('stops at the number of generations a role may have waiting at once', async () => {
    const user = await registerUser(t.app);
    const { active } = quotaFor(2);
    for (let i = 0; i < active; i++) expect((await submit(user, { workflow: 'txt2img-sdxl', params: { prompt: `one of many ${i}` } })).statusCode).toBe(202);
    expectError(await submit(user, { workflow: 'txt2img-sdxl', params: { prompt: 'one too many' } }), 429, 'too_many_active_jobs');
  });
});

describe('cancelling', () => {
  it('takes a queued job off the queue and says so to whoever watches it', async () => {
    const job = (await submit(alice, { workflow: 'txt2img-sdxl', params: { prompt: 'never mind' } })).json().data;
    const cancelled = await post(alice, `/jobs/${job.id}/cancel`);
    expect(cancelled.statusCode).toBe(202);
    expect(cancelled.json().data.status).toBe('cancelled');
    expect(await queue.getJob(job.id)).toBeUndefined();
    expectError(await post(alice, `/jobs/${job.id}/cancel`), 409, 'already_finished');

    const events = await t.app.inject({ method: 'GET', url: `/api/v1/jobs/${job.id}/events`, headers: { cookie: alice.cookie } });
    expect(events.headers['content-type']).toContain('text/event-stream');
    expect(events.body).toMatch(/^event: state\ndata: /);
    expect(events.body).toContain('event: cancelled');
  });

  it('is refused for someone else’s job', async () => {
    const job = (await submit(alice, { workflow: 'txt2img-sdxl', params: { prompt: 'mine' } })).json().data;
    const bob = await registerUser(t.app);
    expectError(await post(bob, `/jobs/${job.id}/cancel`), 404, 'not_found');
    expectError(await get(bob, `/jobs/${job.id}`), 404, 'not_found');
    expect((await get(bob, '/jobs')).json().data).toEqual([]);
  });
});

describe('queue positions', () => {
  it('count exactly the jobs ahead: those running, then higher priorities, then earlier ones, and move up as one ends', async () => {
    // Nothing else waits: only these jobs are in line.
    await queue.drain(true);
    const user = await registerUser(t.app);
    const creator = await registerUser(t.app, 'creator', t.db);
    const admin = await registerUser(t.app, 'admin', t.db);
    const queueJob = async (member: TestUser, prompt: string) => (await submit(member, { workflow: 'txt2img-sdxl', params: { prompt } })).json().data as { id: string; queuePosition: number };
    // Queued in this order; run in the order of their roles' priorities, then of arrival.
    const first = await queueJob(user, 'first');
    const second = await queueJob(user, 'second');
    const creators = await queueJob(creator, 'a creator’s');
    const admins = await queueJob(admin, 'an admin’s');
    const third = await queueJob(user, 'third');
    const owners = new Map([[first.id, user], [second.id, user], [third.id, user], [creators.id, creator], [admins.id, admin]]);
    const positions = async () => {
      const found: Record<string, number | null> = {};
      for (const [id, owner] of owners) found[id] = (await get(owner, `/jobs/${id}`)).json().data.queuePosition;
      return found;
    };
    // What POST answered, at the time: nobody ahead, one ahead, then the creator's ahead of both of the user's…
    expect([first, second, creators, admins, third].map((job) => job.queuePosition)).toEqual([0, 1, 0, 0, 4]);
    expect(await positions()).toEqual({ [admins.id]: 0, [creators.id]: 1, [first.id]: 2, [second.id]: 3, [third.id]: 4 });

    // A worker takes the next job (the admin's), as a gpu-worker does: running, it is still ahead of the others.
    const connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
    const worker = new Worker(GENERATION_QUEUE, null, { connection, prefix: redisNames(t.config.redisPrefix).bull, autorun: false });
    try {
      const taken = await worker.getNextJob('test-token');
      expect(taken?.id).toBe(admins.id);
      expect(await positions()).toEqual({ [admins.id]: null, [creators.id]: 1, [first.id]: 2, [second.id]: 3, [third.id]: 4 });
      // Once it has run, everyone moves up one; a job taken off the queue leaves the line too.
      await taken!.moveToCompleted('done', 'test-token', false);
      expect(await positions()).toEqual({ [admins.id]: null, [creators.id]: 0, [first.id]: 1, [second.id]: 2, [third.id]: 3 });
      expect((await post(user, `/jobs/${second.id}/cancel`)).json().data.status).toBe('cancelled');
      expect(await positions()).toEqual({ [admins.id]: null, [creators.id]: 0, [first.id]: 1, [second.id]: null, [third.id]: 2 });
    } finally {
      await worker.close(true);
      await connection.quit();
    }
  });
});

describe('live queue positions', () => {
  let base: string;
  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });

  /** A job's event stream as a browser reads it: the events so far, in order. */
  async function openStream(user: TestUser, id: string) {
    const abort = new AbortController();
    const response = await fetch(`${base}/api/v1/jobs/${id}/events`, { headers: { cookie: user.cookie }, signal: abort.signal });
    const events: { event: string; data: Record<string, unknown> }[] = [];
    if (response.ok) {
      void (async () => {
        let buffer = '';
        for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            if (event) events.push({ event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) });
          }
        }
      })().catch(() => {});
    } else {
      await response.body?.cancel();
    }
    const positions = () => events.filter((e) => e.event === 'queued').map((e) => e.data.position);
    return { status: response.status, events, positions, close: () => abort.abort() };
  }

  it('reach every watcher as the job moves up, from one read of the queue per tick however many watch', async () => {
    await queue.drain(true);
    const user = await registerUser(t.app);
    const queueJob = async (prompt: string) => (await submit(user, { workflow: 'txt2img-sdxl', params: { prompt } })).json().data as { id: string };
    const first = await queueJob('first in line');
    await queueJob('second in line');
    const third = await queueJob('third in line');

    // Every read of a job's place asks Redis for its index in the wait list (LPOS): watch those for the third.
    const monitor = await new Redis(process.env.REDIS_URL!).monitor();
    const reads: number[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'lpos' && args[2] === third.id) reads.push(performance.now());
    });
    const streams = await Promise.all([1, 2, 3].map(() => openStream(user, third.id)));
    const connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
    const worker = new Worker(GENERATION_QUEUE, null, { connection, prefix: redisNames(t.config.redisPrefix).bull, autorun: false });
    try {
      for (const stream of streams) {
        await vi.waitFor(() => expect(stream.positions()).toEqual([2]), { timeout: 5000 });
        expect(stream.events[0]!.event).toBe('state');
      }
      // Each stream began with a read of its own (the job's state); from now on only the ticker reads.
      reads.length = 0;
      // The first is taken and done: the third moves up, and each of its watchers hears it.
      const taken = await worker.getNextJob('test-token');
      expect(taken?.id).toBe(first.id);
      await taken!.moveToCompleted('done', 'test-token', false);
      for (const stream of streams) await vi.waitFor(() => expect(stream.positions()).toEqual([2, 1]), { timeout: 3 * POSITION_EVERY_MS });
      // One read per tick for the three streams: never two within a moment of each other, as one per stream would be.
      await vi.waitFor(() => expect(reads.length).toBeGreaterThanOrEqual(3), { timeout: 4 * POSITION_EVERY_MS });
      const gaps = reads.slice(1).map((at, n) => at - reads[n]!);
      expect(Math.min(...gaps)).toBeGreaterThan(POSITION_EVERY_MS / 2);
    } finally {
      for (const stream of streams) stream.close();
      await monitor.disconnect();
      await worker.close(true);
      await connection.quit();
    }
  });

  it('are refused past the streams one account may hold open, with a clear error, until one closes', async () => {
    const user = await registerUser(t.app);
    const job = (await submit(user, { workflow: 'txt2img-sdxl', params: { prompt: 'watched a lot' } })).json().data as { id: string };
    const streams = [];
    try {
      for (let i = 0; i < MAX_STREAMS_PER_ACCOUNT; i++) streams.push(await openStream(user, job.id));
      expect(streams.map((stream) => stream.status)).toEqual(Array(MAX_STREAMS_PER_ACCOUNT).fill(200));
      const refused = await fetch(`${base}/api/v1/jobs/${job.id}/events`, { headers: { cookie: user.cookie } });
      expect(refused.status).toBe(429);
      expect((await refused.json()).error).toMatchObject({ code: 'too_many_streams', message: expect.stringContaining('close a studio tab') });
      // Someone else is not held back by it.
      const other = await registerUser(t.app);
      const theirs = (await submit(other, { workflow: 'txt2img-sdxl', params: { prompt: 'mine to watch' } })).json().data as { id: string };
      const their = await openStream(other, theirs.id);
      expect(their.status).toBe(200);
      their.close();
      // Closing one frees its place.
      streams.pop()!.close();
      await vi.waitFor(
        async () => {
          const again = await openStream(user, job.id);
          streams.push(again);
          expect(again.status).toBe(200);
        },
        { timeout: 5000, interval: 200 },
      );
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it('free the place of a stream whose browser left while it was being set up', async () => {
    const user = await registerUser(t.app);
    const job = (await submit(user, { workflow: 'txt2img-sdxl', params: { prompt: 'left at once' } })).json().data as { id: string };
    // Browsers that give up as soon as they have asked: the request and the connection's end arrive together,
    // before the stream has begun.
    const { port } = t.app.server.address() as AddressInfo;
    for (let i = 0; i < MAX_STREAMS_PER_ACCOUNT + 1; i++) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.end(`GET /api/v1/jobs/${job.id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${user.cookie}\r\n\r\n`);
        });
        socket.on('error', reject);
        socket.on('close', () => resolve());
        socket.resume();
      });
    }
    const streams: Awaited<ReturnType<typeof openStream>>[] = [];
    try {
      await vi.waitFor(
        async () => {
          for (const stream of streams.splice(0)) stream.close();
          for (let i = 0; i < MAX_STREAMS_PER_ACCOUNT; i++) streams.push(await openStream(user, job.id));
          expect(streams.map((stream) => stream.status)).toEqual(Array(MAX_STREAMS_PER_ACCOUNT).fill(200));
        },
        { timeout: 5000, interval: 500 },
      );
    } finally {
      for (const stream of streams) stream.close();
    }
  });
});

async function upload(user: TestUser, bytes: Buffer): Promise<string> {
  const boundary = 'jobsboundary';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="in.png"\r\nContent-Type: image/png\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/media',
    payload,
    headers: { cookie: user.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  return response.json().data.id;
}
