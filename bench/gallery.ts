// Gallery bench: full-text searches over 10,000 published comics through the HTTP API, beside the same API's
// GET /api/v1/status (no database) measured the same way in the same run. Its own database, dropped after.
import { performance } from 'node:perf_hooks';
import { SEED_WORDS, seedPublishedComics } from '../api/test/gallery-seed.ts';
import { benchDatabase, fmt, percentile, startServer, stopServer } from './lib.ts';

const PORT = Number(process.env.BENCH_GALLERY_PORT ?? 4611);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const COMICS = 10_000;
/** Requests in flight at once under load: a few readers searching together, without swamping the two cores. */
const LOADED = 4;

interface Latencies {
  p50: number;
  p99: number;
  count: number;
  failures: number;
}

/** Requests the URLs `next` hands out, `concurrency` at a time, for `seconds`; each request's latency in ms. */
async function measure(next: () => string, seconds: number, concurrency = 1): Promise<Latencies> {
  const times: number[] = [];
  let failures = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const start = performance.now();
      const response = await fetch(next());
      await response.arrayBuffer();
      times.push(performance.now() - start);
      if (!response.ok) failures++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), count: times.length, failures };
}

/** Searches as readers type them: one word (in about 3% of the comics), two words, a phrase, a word not there. */
function searches(): string[] {
  const words = SEED_WORDS;
  const pick = (n: number) => words[n % words.length]!;
  return Array.from({ length: 200 }, (_, n) => {
    switch (n % 4) {
      case 0:
        return pick(n * 7);
      case 1:
        return `${pick(n * 3)} ${pick(n * 11 + 5)}`;
      case 2:
        return `"seeded comic ${(n * 37) % COMICS}"`;
      default:
        return `${pick(n)}x`;
    }
  });
}

export async function benchGallery(): Promise<string[]> {
  const database = await benchDatabase('gallery');
  let api: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const base = `http://127.0.0.1:${PORT}`;
    // The per-user rate limit would answer 429 within a second of load: the bench measures the request path.
    api = await startServer('api/src/main.ts', { API_PORT: String(PORT), DATABASE_URL: database.url, LOG_LEVEL: 'warn', RATE_LIMIT_DISABLED: 'true' }, `${base}/readyz`);
    const author = `bench${Date.now().toString(36)}`;
    const registered = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${author}@example.com`, username: author, password: 'benchmark password' }),
    });
    const authorId: string = ((await registered.json()) as { data: { id: string } }).data.id;
    const seeding = performance.now();
    await seedPublishedComics(database.db, { authorId, author, count: COMICS });
    const seeded = performance.now() - seeding;

    const queries = searches();
    let n = 0;
    const search = (sort: string) => () => `${base}/api/v1/gallery?q=${encodeURIComponent(queries[n++ % queries.length]!)}${sort}`;
    const status = () => `${base}/api/v1/status`;
    // Warm up (JIT, connection pools, Postgres' caches) before measuring.
    await measure(search(''), 2, LOADED);
    await measure(status, 1, LOADED);

    const baseline = await measure(status, SECONDS);
    const ranked = await measure(search(''), SECONDS);
    const recent = await measure(search('&sort=recent'), SECONDS);
    let page = 0;
    const browse = await measure(() => `${base}/api/v1/gallery?sort=popular&page=${1 + (page++ % 20)}`, SECONDS);
    const baselineLoaded = await measure(status, SECONDS, LOADED);
    const rankedLoaded = await measure(search(''), SECONDS, LOADED);

    const row = (label: string, r: Latencies, against = baseline) =>
      `  ${label.padEnd(40)} p50 ${fmt(r.p50)} ms   p99 ${fmt(r.p99)} ms   ratio p99 ${fmt(r.p99 / against.p99, 2)}   (${r.count} requests, ${r.failures} failed)`;
    const plain = (label: string, r: Latencies) => `  ${label.padEnd(40)} p50 ${fmt(r.p50)} ms   p99 ${fmt(r.p99)} ms   (${r.count} requests, ${r.failures} failed)`;
    return [
      `Gallery: GET /api/v1/gallery over ${COMICS.toLocaleString('en')} published comics (seeded in ${fmt(seeded / 1000)} s), ${queries.length} varied searches`,
      '  one request at a time:',
      plain('baseline GET /api/v1/status', baseline),
      row('search, ranked by relevance', ranked),
      row('search, newest first', recent),
      row('browse most read (pages 1-20)', browse),
      `  ${LOADED} requests at a time:`,
      plain('baseline GET /api/v1/status', baselineLoaded),
      row('search, ranked by relevance', rankedLoaded, baselineLoaded),
      '  target: search p99 <= 50 ms',
    ];
  } finally {
    if (api) await stopServer(api);
    await database.drop();
  }
}
