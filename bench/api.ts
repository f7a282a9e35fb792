// API benchmark: authenticated GET /api/v1/auth/me against a bare Fastify route, in the same run.
import { migrateDatabase } from '@inkwell/db';
import { fmt, load, loadWithCpu, pacedLoad, startServer, stopServer } from './lib.ts';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/inkwell_bench';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
/** Rounds of the maximum-throughput comparison: SECONDS of each server in all, in ROUNDS turns. */
const ROUNDS = 4;

export async function benchApi(): Promise<string[]> {
  await migrateDatabase(DATABASE_URL);
  const bare = await startServer('bench/servers/bare-fastify.ts', { PORT: '4601' }, 'http://127.0.0.1:4601/bare');
  // The per-user rate limit (600 requests a minute) would answer 429 within a second of load: the
  // benchmark measures the request path, so it runs with the limiter off and says so.
  const api = await startServer(
    'api/src/main.ts',
    { API_PORT: '4602', DATABASE_URL, LOG_LEVEL: 'warn', RATE_LIMIT_DISABLED: 'true' },
    'http://127.0.0.1:4602/readyz',
  );
  try {
    const name = `bench${Date.now().toString(36)}`;
    const registered = await fetch('http://127.0.0.1:4602/api/v1/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${name}@example.com`, username: name, password: 'benchmark password' }),
    });
    const cookie = registered.headers.getSetCookie()[0]!.split(';')[0]!;
    const me = 'http://127.0.0.1:4602/api/v1/auth/me';
    const bareUrl = 'http://127.0.0.1:4601/bare';

    // Warm both up (JIT, connection pools) before measuring.
    await load(bareUrl, { seconds: 2, connections: 16 });
    await load(me, { seconds: 2, connections: 16, headers: { cookie } });

    // Each at its maximum, with the CPU the server spends per request (in µs), in alternating rounds (bare and /me,
    // then /me and bare, ...): this machine's speed can move by a third within minutes (the bare route answered
    // 33,629 and then 20,968 requests a second, runs a few minutes apart), so one run of each in turn could
    // compare a fast minute with a slow one.
    const bareMax = new AtMaximum(bareUrl, bare.pid!);
    const meMax = new AtMaximum(me, api.pid!, { cookie });
    const roundRatios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const [first, second] = round % 2 === 0 ? [bareMax, meMax] : [meMax, bareMax];
      await first.round();
      await second.round();
      roundRatios.push(meMax.last / bareMax.last);
    }
    const bareAt500 = await pacedLoad(bareUrl, { seconds: SECONDS, connections: 16, rate: 500 });
    const meAt500 = await pacedLoad(me, { seconds: SECONDS, connections: 16, rate: 500, headers: { cookie } });

    const ratio = meMax.requestsPerSecond / bareMax.requestsPerSecond;
    const [bareCpu, meCpu] = [bareMax.cpuUsPerRequest, meMax.cpuUsPerRequest];
    return [
      'API: authenticated GET /api/v1/auth/me vs a bare Fastify route (loopback, load generator on the same 2 cores)',
      `  max throughput     bare ${fmt(bareMax.requestsPerSecond, 0)} req/s   /me ${fmt(meMax.requestsPerSecond, 0)} req/s   ratio ${fmt(ratio, 3)} (target >= 0.60: ${ratio >= 0.6 ? 'met' : 'NOT MET'})`,
      `      ${ROUNDS} alternating rounds of ${SECONDS / ROUNDS} s each; the rounds' ratios ${roundRatios.map((r) => fmt(r, 3)).join(', ')}`,
      `  CPU per request    bare ${fmt(bareCpu, 0)} us   /me ${fmt(meCpu, 0)} us   ratio ${fmt(bareCpu / meCpu, 2)}`,
      `  p99 at max load (the worst round's)   bare ${bareMax.p99} ms   /me ${meMax.p99} ms`,
      `  at 500 req/s, evenly spaced   bare p50 ${fmt(bareAt500.p50, 2)} ms p99 ${fmt(bareAt500.p99)} ms   /me p50 ${fmt(meAt500.p50, 2)} ms p99 ${fmt(meAt500.p99)} ms (target p99 <= 20 ms: ${meAt500.p99 <= 20 ? 'met' : 'NOT MET'})`,
      `  errors             bare ${bareMax.errors + bareAt500.errors}   /me ${meMax.errors + meAt500.errors}, non-2xx /me ${meMax.non2xx + meAt500.non2xx}`,
    ];
  } finally {
    await Promise.all([stopServer(bare), stopServer(api)]);
  }
}

/** One server driven at its maximum over several rounds: the rounds' totals, and the last round's requests a second. */
class AtMaximum {
  requests = 0;
  cpuMs = 0;
  seconds = 0;
  /** The worst round's. */
  p99 = 0;
  errors = 0;
  non2xx = 0;
  last = 0;

  readonly url: string;
  readonly pid: number;
  readonly headers: Record<string, string>;

  constructor(url: string, pid: number, headers: Record<string, string> = {}) {
    this.url = url;
    this.pid = pid;
    this.headers = headers;
  }

  async round(): Promise<void> {
    const { result, cpuMsPerRequest } = await loadWithCpu(this.url, { seconds: SECONDS / ROUNDS, connections: 32, headers: this.headers }, [this.pid]);
    this.requests += result.requests;
    this.cpuMs += cpuMsPerRequest[0]! * result.requests;
    this.seconds += SECONDS / ROUNDS;
    this.last = result.requestsPerSecond;
    this.p99 = Math.max(this.p99, result.p99);
    this.errors += result.errors;
    this.non2xx += result.non2xx;
  }

  get requestsPerSecond(): number {
    return this.requests / this.seconds;
  }

  get cpuUsPerRequest(): number {
    return (this.cpuMs / this.requests) * 1000;
  }
}
