// The whole generation pipeline for tests: the real API (HTTP on port 0), real BullMQ on Redis, real
// Postgres, ComfyUI simulators, gpu-workers in process (or as a child process, to kill), and optionally a
// collab-server. Each test file gets its own Redis prefix and storage folder.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/src/app.ts';
import { loadConfig as loadApiConfig } from '../../api/src/config.ts';
import { type ComfySimulator, createComfySimulator } from '../src/simulator/index.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { type GpuWorker, type GpuWorkerOverrides, createGpuWorker } from '../src/worker.ts';

const customNodes = JSON.parse(await readFile(new URL('../../workflows/custom-nodes/ipadapter-plus.json', import.meta.url), 'utf8'));

export interface Pipeline {
  prefix: string;
  storageDir: string;
  api: FastifyInstance;
  apiUrl: string;
  simulators: ComfySimulator[];
  workers: GpuWorker[];
  close(): Promise<void>;
}

export async function startPipeline(opts: { simulators?: number; stepMs?: number; workers?: number; workerConfig?: Partial<Config> } = {}): Promise<Pipeline> {
  const prefix = `inkwell-test:${randomBytes(6).toString('hex')}:`;
  const storageDir = await mkdtemp(join(tmpdir(), 'inkwell-pipeline-'));
  const env = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', RATE_LIMIT_DISABLED: 'true', STORAGE_DIR: storageDir };
  // No housekeeping: its orphaned-jobs sweep would settle other test files' jobs in the shared database.
  const api = await buildApp({ ...loadApiConfig(env), redisPrefix: prefix }, { housekeeping: false });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const simulators = await Promise.all(
    Array.from({ length: opts.simulators ?? 1 }, () => createComfySimulator({ port: 0, stepMs: opts.stepMs ?? 5, extraNodes: customNodes })),
  );
  const pipeline: Pipeline = {
    prefix,
    storageDir,
    api,
    apiUrl: `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`,
    simulators,
    workers: [],
    async close() {
      await Promise.all(pipeline.workers.map((w) => w.close()));
      await Promise.all(simulators.map((s) => s.close()));
      await api.close();
    },
  };
  for (let i = 0; i < (opts.workers ?? 1); i++) await addWorker(pipeline, opts.workerConfig);
  return pipeline;
}

export function workerConfig(pipeline: Pipeline, overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ ...process.env, STORAGE_DIR: pipeline.storageDir, LOG_LEVEL: 'silent' }),
    redisPrefix: pipeline.prefix,
    comfyUrls: pipeline.simulators.map((s) => s.url),
    port: 0,
    comfyGraceMs: 1500,
    stalledIntervalMs: 1000,
    ...overrides,
  };
}

export async function addWorker(pipeline: Pipeline, overrides: Partial<Config> = {}, hooks: GpuWorkerOverrides = {}): Promise<GpuWorker> {
  const worker = createGpuWorker(workerConfig(pipeline, overrides), { log: () => {}, ...hooks });
  await worker.start();
  pipeline.workers.push(worker);
  return worker;
}

/** A gpu-worker in a child process, started as production starts it, to be killed without a goodbye. */
export function spawnWorker(pipeline: Pipeline): { kill(): Promise<void> } {
  const child = spawn(process.execPath, ['gpu-worker/src/main.ts'], {
    env: {
      ...process.env,
      REDIS_PREFIX: pipeline.prefix,
      COMFYUI_URLS: pipeline.simulators.map((s) => s.url).join(','),
      STORAGE_DIR: pipeline.storageDir,
      WORKER_PORT: '0',
      STALLED_CHECK_SECONDS: '1',
      LOG_LEVEL: 'silent',
    },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface Member {
  id: string;
  username: string;
  cookie: string;
}

export async function signUp(pipeline: Pipeline, role?: 'creator'): Promise<Member> {
  const username = `u${randomBytes(5).toString('hex')}`;
  const response = await pipeline.api.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { username, email: `${username}@example.com`, password: 'correct horse battery staple' },
  });
  const cookie = response.cookies.find((c) => c.name === 'inkwell_session')!;
  const member = { id: response.json().data.id as string, username, cookie: `${cookie.name}=${cookie.value}` };
  if (role) {
    // Straight in the database: these tests are not about role management.
    const { createDatabaseClient, schema } = await import('@inkwell/db');
    const { eq } = await import('drizzle-orm');
    const database = createDatabaseClient(process.env.DATABASE_URL!, { max: 1 });
    const [row] = await database.db.select({ id: schema.roles.id }).from(schema.roles).where(eq(schema.roles.name, role));
    await database.db.update(schema.users).set({ roleId: row!.id }).where(eq(schema.users.id, member.id));
    await database.close();
    const again = await pipeline.api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: username, password: 'correct horse battery staple' } });
    const fresh = again.cookies.find((c) => c.name === 'inkwell_session')!;
    member.cookie = `${fresh.name}=${fresh.value}`;
  }
  return member;
}

export async function call<T = Record<string, unknown>>(pipeline: Pipeline, member: Member, method: 'GET' | 'POST', url: string, payload?: object) {
  const response = await pipeline.api.inject({ method, url: `/api/v1${url}`, headers: { cookie: member.cookie }, ...(payload && { payload }) });
  return { status: response.statusCode, body: response.json() as { success: boolean; data: T; error?: { code: string; message: string } } };
}

export interface JobView {
  id: string;
  status: string;
  progress: number;
  error: string | null;
  result: { id: string; url: string; width: number; height: number; mimeType: string } | null;
}

export async function waitForJob(pipeline: Pipeline, member: Member, id: string, done: (job: JobView) => boolean, timeoutMs = 20_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await call<JobView>(pipeline, member, 'GET', `/jobs/${id}`)).body.data;
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${job.status} (${job.error ?? 'no error'})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const finished = (job: JobView) => ['completed', 'failed', 'cancelled'].includes(job.status);

/** Reads the server-sent events of a job until the stream ends, as a browser's EventSource would. */
export async function readEvents(pipeline: Pipeline, member: Member, id: string): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const response = await fetch(`${pipeline.apiUrl}/api/v1/jobs/${id}/events`, { headers: { cookie: member.cookie } });
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) };
    });
}
