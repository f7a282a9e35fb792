// API benchmark: authenticated GET /api/v1/auth/me against a bare Fastify route, in the same run.
import { migrateDatabase } from '@inkwell/db';
import { fmt, load, loadWithCpu, pacedLoad, startServer, stopServer } from './lib.ts';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/inkwell_bench';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

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

    // Each at its maximum, with the CPU the server spends per request (in µs).
    const cpuPerRequest = async (url: string, pid: number, headers: Record<string, string> = {}) => {
      const { result, cpuMsPerRequest } = await loadWithCpu(url, { seconds: SECONDS, connections: 32, headers }, [pid]);
      return { result, usPerRequest: cpuMsPerRequest[0]! * 1000 };
    };
    const { result: bareMax, usPerRequest: bareCpu } = await cpuPerRequest(bareUrl, bare.pid!);
    const { result: meMax, usPerRequest: meCpu } = await cpuPerRequest(me, api.pid!, { cookie });
    const bareAt500 = await pacedLoad(bareUrl, { seconds: SECONDS, connections: 16, rate: 500 });
    const meAt500 = await pacedLoad(me, { seconds: SECONDS, connections: 16, rate: 500, headers: { cookie } });

    const ratio = meMax.requestsPerSecond / bareMax.requestsPerSecond;
    return [
      'API: authenticated GET /api/v1/auth/me vs a bare Fastify route (loopback, load generator on the same 2 cores)',
      `  max throughput     bare ${fmt(bareMax.requestsPerSecond, 0)} req/s   /me ${fmt(meMax.requestsPerSecond, 0)} req/s   ratio ${fmt(ratio, 3)} (target >= 0.60: ${ratio >= 0.6 ? 'met' : 'NOT MET'})`,
      `  CPU per request    bare ${fmt(bareCpu, 0)} us   /me ${fmt(meCpu, 0)} us   ratio ${fmt(bareCpu / meCpu, 2)}`,
      `  p99 at max load    bare ${bareMax.p99} ms   /me ${meMax.p99} ms`,
      `  at 500 req/s, evenly spaced   bare p50 ${fmt(bareAt500.p50, 2)} ms p99 ${fmt(bareAt500.p99)} ms   /me p50 ${fmt(meAt500.p50, 2)} ms p99 ${fmt(meAt500.p99)} ms (target p99 <= 20 ms: ${meAt500.p99 <= 20 ? 'met' : 'NOT MET'})`,
      `  errors             bare ${bareMax.errors + bareAt500.errors}   /me ${meMax.errors + meAt500.errors}, non-2xx /me ${meMax.non2xx + meAt500.non2xx}`,
    ];
  } finally {
    await Promise.all([stopServer(bare), stopServer(api)]);
  }
}
