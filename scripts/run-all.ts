// Runs every Inkwell service behind one origin, with embedded defaults. A service that dies is started
// again after a pause that doubles with each quick death; Ctrl-C or SIGTERM stops them all together.
//   PORT (3000)         the one origin: pages, /api, /collab
//   API_PORT (4000)     where the API listens on loopback
//   COLLAB_PORT (4100)  where the collaboration server listens on loopback
//   WORKER_PORT (8000)  the gpu-worker's health and metrics
//   COMFYUI_URLS        ComfyUI addresses; without it the ComfyUI simulator runs on SIMULATOR_PORT (8188)
//   SERVICES            comma-separated names to run only some of them (comfyui, api, collab, worker, web)
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { migrateDatabase } from '@inkwell/db';
import { describeConnectionError } from '../api/src/lib/connection-errors.ts';
import { relayHandOffs } from '../collab-server/src/handoff.ts';

type Defaults = 'DATABASE_URL' | 'REDIS_URL' | 'PORT' | 'API_PORT' | 'COLLAB_PORT' | 'SIMULATOR_PORT';
const env: NodeJS.ProcessEnv & Record<Defaults, string> = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/inkwell',
  REDIS_URL: 'redis://127.0.0.1:6379',
  PORT: '3000',
  API_PORT: '4000',
  COLLAB_PORT: '4100',
  SIMULATOR_PORT: '8188',
  ...process.env,
};
env.PUBLIC_URL ??= `http://localhost:${env.PORT}`;
env.API_INTERNAL_URL ??= `http://127.0.0.1:${env.API_PORT}`;
env.COLLAB_INTERNAL_URL ??= `http://127.0.0.1:${env.COLLAB_PORT}`;
// The API reads the worker's metrics for the admin area's system page.
env.WORKER_INTERNAL_URL ??= `http://127.0.0.1:${env.WORKER_PORT ?? '8000'}`;
// The API sits behind web/server.ts on this machine: trust the forwarded client address from loopback only.
env.TRUST_PROXY ??= 'loopback';
// Sensitive fields are encrypted at rest: a development key is made once, kept in .data/ (out of git) and reused.
if (!env.DATA_ENCRYPTION_KEY && !env.DATA_ENCRYPTION_KEYS) env.DATA_ENCRYPTION_KEY = developmentDataKey();

function developmentDataKey(): string {
  const file = new URL('../.data/data-encryption-key', import.meta.url);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const key = `dev${randomBytes(3).toString('hex')}:${randomBytes(32).toString('base64')}`;
    mkdirSync(new URL('../.data/', import.meta.url), { recursive: true });
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    return key;
  }
}

// No GPU configured: generate with the ComfyUI simulator, and let the site say its pictures are simulated.
const simulated = !env.COMFYUI_URLS;
if (simulated) {
  env.COMFYUI_URLS = `http://127.0.0.1:${env.SIMULATOR_PORT}`;
  env.GENERATION_SIMULATED = 'true';
}

async function checkServices(): Promise<void> {
  try {
    await migrateDatabase(env.DATABASE_URL);
  } catch (error) {
    throw new Error(describeConnectionError('Postgres', env.DATABASE_URL, error), { cause: error });
  }
  const redis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(describeConnectionError('Redis', env.REDIS_URL, error), { cause: error });
  } finally {
    redis.disconnect();
  }
}

const only = env.SERVICES?.split(',').map((name) => name.trim());
const wanted = (name: string) => !only || only.includes(name);
// With both here, the front server hands /collab websockets to the collab-server through this process
// (collab-server/src/handoff.ts) instead of relaying every message.
const handOff = wanted('web') && wanted('collab');

/** `ipc`: the service gets an IPC channel to this process. */
type Service = { entry: string; env?: NodeJS.ProcessEnv; ipc?: boolean };
const allServices: Record<string, Service> = {
  ...(simulated && { comfyui: { entry: 'gpu-worker/src/simulator/main.ts', env: { PORT: env.SIMULATOR_PORT } } }),
  api: { entry: 'api/src/main.ts' },
  collab: { entry: 'collab-server/src/main.ts', ipc: handOff },
  worker: { entry: 'gpu-worker/src/main.ts' },
  web: { entry: 'web/server.ts', ipc: handOff, env: handOff ? { COLLAB_HANDOFF: 'ipc' } : {} },
};
const services = Object.entries(allServices).filter(([name]) => wanted(name));

// Restart pauses: 1 s, doubling up to 30 s; a service that stayed up a minute starts again from 1 s.
const FIRST_PAUSE_MS = 1000;
const LONGEST_PAUSE_MS = 30_000;
const STAYED_UP_MS = 60_000;

const children = new Map<string, ChildProcess>();
const restarts = new Set<NodeJS.Timeout>();
let stopping = false;

/** Starts one service; `attempt` counts its starts since it last stayed up. */
function start(name: string, service: Service, attempt = 1): void {
  const startedAt = Date.now();
  const stdio = service.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
  const child = spawn(process.execPath, [service.entry], { env: { ...env, ...service.env }, stdio: stdio as Array<'ignore' | 'pipe' | 'ipc'> });
  children.set(name, child);
  if (name === 'web' && handOff) relayHandOffs(child, () => children.get('collab'));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => console.log(`[${name}] ${line}`));
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    // Ctrl-C reaches the children too, and their exit may be noticed before our own SIGINT handler runs.
    setTimeout(() => {
      if (stopping) {
        if (children.size === 0) process.exit(0);
        return;
      }
      const next = Date.now() - startedAt >= STAYED_UP_MS ? 2 : attempt + 1;
      const pause = Math.min(FIRST_PAUSE_MS * 2 ** (next - 2), LONGEST_PAUSE_MS);
      console.error(`[${name}] exited (${signal ?? `exit code ${code}`}); restarting in ${pause / 1000} s (attempt ${next})`);
      const timer = setTimeout(() => {
        restarts.delete(timer);
        start(name, service, next);
      }, pause);
      restarts.add(timer);
    }, 100);
  });
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  for (const timer of restarts) clearTimeout(timer);
  if (children.size === 0) process.exit(0);
  for (const child of children.values()) child.kill('SIGTERM');
  // A child that ignores SIGTERM must not keep the whole stack up.
  setTimeout(() => process.exit(1), 15_000).unref();
}

process.once('SIGINT', stop);
process.once('SIGTERM', stop);

try {
  await checkServices();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
for (const [name, service] of services) start(name, service);
console.log(`Inkwell is starting at ${env.PUBLIC_URL}`);
