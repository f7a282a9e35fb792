import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { type DatabaseClient, createDatabaseClient, dropDatabase, migrateDatabase } from '@inkwell/db';

/** Starts a Node 24 child process and waits until `readyUrl` answers 200; `ipc` gives it an IPC channel to this process. */
export async function startServer(entry: string, env: Record<string, string>, readyUrl: string, options: { ipc?: boolean } = {}): Promise<ChildProcess> {
  const stdio = options.ipc ? ['ignore', 'ignore', 'inherit', 'ipc'] : ['ignore', 'ignore', 'inherit'];
  const child = spawn(process.execPath, [entry], { env: { ...process.env, ...env }, stdio: stdio as Array<'ignore' | 'inherit' | 'ipc'> });
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
  /** Requests answered. */
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Drives `url` with autocannon as fast as it goes. */
export async function load(url: string, opts: { seconds: number; connections: number; headers?: Record<string, string> }): Promise<LoadResult> {
  const result = await autocannon({ url, connections: opts.connections, duration: opts.seconds, headers: opts.headers ?? {} });
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/**
 * `load`, with the CPU each of `pids` spent per request answered meanwhile (ms). Throughput shares the cores with
 * the load generator and whatever else runs; a server's CPU per request does not, and moves less between runs.
 */
export async function loadWithCpu(url: string, opts: Parameters<typeof load>[1], pids: number[]): Promise<{ result: LoadResult; cpuMsPerRequest: number[] }> {
  const before = pids.map(cpuMs);
  const result = await load(url, opts);
  return { result, cpuMsPerRequest: pids.map((pid, i) => (cpuMs(pid) - before[i]!) / result.requests) };
}

/**
 * `rate` GET requests a second, evenly spaced, over up to `connections` keep-alive connections. autocannon's
 * own rate option sends each connection's share of a second back to back at the start of the second, a burst
 * whose tail depends on when the burst meets a pause: its p99 of one server varied from 8 to 107 ms between
 * runs, where evenly spaced requests varied from 1.3 to 3.2 ms. Requests go out on time whatever the answers
 * before them (open loop): one waiting for a free connection counts that wait in its latency.
 */
export async function pacedLoad(url: string, opts: { seconds: number; rate: number; connections: number; headers?: Record<string, string> }): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const latencies: number[] = [];
  let [errors, non2xx] = [0, 0];
  const get = (sentAt: number) =>
    new Promise<void>((resolve) => {
      http
        .get(url, { agent, headers: opts.headers }, (response) => {
          if (response.statusCode! < 200 || response.statusCode! >= 300) non2xx++;
          response.resume().on('end', () => {
            latencies.push(performance.now() - sentAt);
            resolve();
          });
        })
        .on('error', () => {
          errors++;
          resolve();
        });
    });
  const start = performance.now();
  const requests: Array<Promise<void>> = [];
  for (let i = 0; i < opts.rate * opts.seconds; i++) {
    const due = start + (i * 1000) / opts.rate;
    // Timers round to whole milliseconds: never send before the request is due.
    for (let wait = due - performance.now(); wait > 0; wait = due - performance.now()) await sleep(Math.ceil(wait));
    requests.push(get(performance.now()));
  }
  await Promise.all(requests);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, requestsPerSecond: latencies.length / ((performance.now() - start) / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, non2xx };
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

/** The Postgres server where a bench creates its databases (the database the address names is not used). */
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A migrated database of the bench's own (`inkwell_bench_<part>_<time>`), with its address for the servers
 * the bench starts and a client; `drop()` closes the client and drops the database, connections and all.
 */
export async function benchDatabase(part: string): Promise<DatabaseClient & { url: string; drop(): Promise<void> }> {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/inkwell_bench_${part}_${Date.now().toString(36)}`;
  try {
    await migrateDatabase(url.toString());
  } catch (err) {
    await dropDatabase(url.toString());
    throw err;
  }
  const database = createDatabaseClient(url.toString(), { max: 2 });
  const drop = async () => {
    await database.close();
    await dropDatabase(url.toString());
  };
  return { ...database, url: url.toString(), drop };
}
