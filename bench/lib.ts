import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { type DatabaseClient, createDatabaseClient, migrateDatabase } from '@inkwell/db';

/** Starts a Node 24 child process and waits until `readyUrl` answers 200. */
export async function startServer(entry: string, env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [entry], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
    try {
      if ((await fetch(readyUrl)).ok) return child;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`${entry} did not become ready at ${readyUrl}`);
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Drives `url` with autocannon: as fast as it goes, or at a fixed `rate` of requests per second. */
export async function load(url: string, opts: { seconds: number; connections: number; rate?: number; headers?: Record<string, string> }): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: opts.connections,
    duration: opts.seconds,
    headers: opts.headers ?? {},
    ...(opts.rate && { overallRate: opts.rate }),
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** CPU time (ms) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** Where a bench creates its databases (a maintenance database of the Postgres server to use). */
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A migrated database of the bench's own (`inkwell_bench_<part>_<time>`), with its address for the servers
 * the bench starts and a client; `drop()` closes the client and drops the database, connections and all.
 */
export async function benchDatabase(part: string): Promise<DatabaseClient & { url: string; drop(): Promise<void> }> {
  const name = `inkwell_bench_${part}_${Date.now().toString(36)}`;
  const admin = createDatabaseClient(POSTGRES_URL, { max: 1 });
  await admin.sql.unsafe(`create database ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const database = createDatabaseClient(url.toString(), { max: 2 });
  const drop = async () => {
    await database.close();
    await admin.sql.unsafe(`drop database if exists ${name} with (force)`);
    await admin.close();
  };
  try {
    await migrateDatabase(url.toString());
  } catch (err) {
    await drop();
    throw err;
  }
  return { ...database, url: url.toString(), drop };
}
