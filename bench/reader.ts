// Reader bench: server-render time of the reader page for a published 60-panel comic through the built web
// app (web/server.ts in front of the API), beside a static file of the same server in the same run; and what a
// reader's browser downloads for it (JavaScript gzipped, as the budget counts it, and everything for the
// first screen). Its own database and storage folder, dropped after. Needs `npm run build` first.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { eq, sql } from 'drizzle-orm';
import { type ComicSummary, type PanelSummary, schema } from '@inkwell/db';
import { benchDatabase, fmt, load, loadWithCpu, startServer, stopServer } from './lib.ts';

const WEB_PORT = Number(process.env.BENCH_READER_PORT ?? 4621);
const API_PORT = WEB_PORT + 1;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const PAGES = 10;
/** Six panels a page (2 × 3), each with a speech bubble and a caption: 60 panels, 120 lettering boxes. */
const COLUMNS = 2;
const ROWS = 3;
const JS_BUDGET_KB = 150;

function benchSummary(): ComicSummary {
  const size = 400;
  return {
    pages: Array.from({ length: PAGES }, (_, p) => ({
      id: `page:${p}`,
      name: `Page ${p + 1}`,
      bounds: { x: 0, y: 0, w: COLUMNS * size, h: ROWS * size },
      panels: Array.from({ length: COLUMNS * ROWS }, (_, n): PanelSummary => {
        const [x, y] = [(n % COLUMNS) * size, Math.floor(n / COLUMNS) * size];
        const speech = `Panel ${p * COLUMNS * ROWS + n + 1}: where does the lantern road lead tonight?`;
        const caption = 'Meanwhile, at the night market…';
        return {
          id: `shape:panel-${p}-${n}`,
          x,
          y,
          w: size,
          h: size,
          images: [],
          text: [speech, caption],
          art: [],
          lettering: [
            { id: `shape:bubble-${p}-${n}`, kind: 'speech', x: x + 40, y: y + 40, w: 240, h: 140, tail: { x: x + 120, y: y + 260 }, text: speech, font: 'draw', size: 'm', align: 'middle', color: 'black' },
            { id: `shape:caption-${p}-${n}`, kind: 'caption', x, y: y + size - 60, w: size, h: 60, tail: null, text: caption, font: 'sans', size: 's', align: 'start', color: 'black' },
          ],
        };
      }),
    })),
  };
}

async function json<T>(response: Response): Promise<T> {
  const body = (await response.json()) as { success: boolean; data: T; error?: { message: string } };
  if (!response.ok || !body.success) throw new Error(`${response.url}: ${response.status} ${body.error?.message ?? ''}`);
  return body.data;
}

/**
 * The files a first visit to a page loads: its scripts (SvelteKit names every module the page needs, its
 * runtime and the route's chunks, as modulepreload links, in the head or the Link header), its stylesheets and their fonts.
 */
async function assetsOf(base: string, response: { html: string; link: string }) {
  const urls = (text: string, pattern: RegExp) => [...new Set([...text.matchAll(pattern)].map((m) => new URL(m[1]!, `${base}/`).href))];
  const fetchAll = (list: string[]) => Promise.all(list.map(async (url) => Buffer.from(await (await fetch(url)).arrayBuffer())));
  const preloads = (response.html.match(/<link[^>]*rel="modulepreload"[^>]*>/g) ?? []).join(' ');
  const scriptUrls = [
    ...new Set([...urls(response.link, /<([^>]+)>; rel="modulepreload"/g), ...urls(preloads, /href="([^"]+)"/g), ...urls(response.html, /import\("([^"]+\.js)"\)/g)]),
  ];
  const styles = await fetchAll(urls(response.html, /<link[^>]+href="([^"]+\.css)"/g));
  const fontNames = [...new Set(styles.flatMap((css) => [...css.toString().matchAll(/url\(([^)]+\.woff2)\)/g)].map((m) => new URL(m[1]!, `${base}/_app/immutable/assets/`).href)))];
  return { scripts: await fetchAll(scriptUrls), styles, fonts: await fetchAll(fontNames), fontNames };
}

const gz = (files: Buffer[]) => files.reduce((sum, file) => sum + gzipSync(file).length, 0);
const raw = (files: Buffer[]) => files.reduce((sum, file) => sum + file.length, 0);
const kb = (bytes: number) => `${fmt(bytes / 1024)} KB`;

export async function benchReader(): Promise<string[]> {
  const database = await benchDatabase('reader');
  const storageDir = await mkdtemp(join(tmpdir(), 'inkwell-bench-reader-'));
  const servers: Awaited<ReturnType<typeof startServer>>[] = [];
  try {
    const api = `http://127.0.0.1:${API_PORT}`;
    const web = `http://127.0.0.1:${WEB_PORT}`;
    const env = { DATABASE_URL: database.url, LOG_LEVEL: 'warn', RATE_LIMIT_DISABLED: 'true', STORAGE_DRIVER: 'local', STORAGE_DIR: storageDir, PUBLIC_URL: web };
    const apiServer = await startServer('api/src/main.ts', { ...env, API_PORT: String(API_PORT) }, `${api}/readyz`);
    servers.push(apiServer);
    const webServer = await startServer('web/server.ts', { ...env, PORT: String(WEB_PORT), HOST: '127.0.0.1', API_INTERNAL_URL: api }, `${web}/healthz`);
    servers.push(webServer);

    // An author who may publish (made a creator in the database, then signed in afresh), and the comic.
    const author = `bench${Date.now().toString(36)}`;
    const account = { email: `${author}@example.com`, username: author, password: 'benchmark password' };
    const post = (path: string, body: unknown, cookie = '') =>
      fetch(`${api}/api/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
    await json(await post('auth/register', account));
    await database.db
      .update(schema.users)
      .set({ roleId: sql`(select id from roles where name = 'creator')` })
      .where(eq(schema.users.username, author));
    const signedIn = await post('auth/login', { login: author, password: account.password });
    await json(signedIn);
    const cookie = signedIn.headers.getSetCookie()[0]!.split(';')[0]!;
    const comic = await json<{ id: string }>(await post('comics', { title: 'The Lantern Road', description: 'Sixty panels of night market.' }, cookie));
    await database.db.update(schema.comics).set({ panels: benchSummary() }).where(eq(schema.comics.id, comic.id));
    const publishing = performance.now();
    const { readerUrl } = await json<{ readerUrl: string }>(await post(`comics/${comic.id}/publish`, { visibility: 'public' }, cookie));
    const published = performance.now() - publishing;
    const page = `${web}${new URL(readerUrl).pathname}`;
    const staticFile = `${web}/favicon.svg`;

    // Warm up (JIT, connection pools) before measuring.
    await load(page, { seconds: 2, connections: 2 });
    await load(staticFile, { seconds: 1, connections: 2 });
    const baseline = await load(staticFile, { seconds: SECONDS, connections: 1 });
    // One at a time, with what each view costs the two servers.
    const {
      result: render,
      cpuMsPerRequest: [webCpu, apiCpu],
    } = await loadWithCpu(page, { seconds: SECONDS, connections: 1 }, [webServer.pid!, apiServer.pid!]);
    const loaded = await load(page, { seconds: SECONDS, connections: 4 });

    const response = await fetch(page);
    const html = Buffer.from(await response.arrayBuffer());
    const { scripts, styles, fonts, fontNames } = await assetsOf(web, { html: html.toString(), link: response.headers.get('link') ?? '' });
    // The first page as a phone asks for it (375 px at 2× picks the 800-wide image), and all of them.
    const reader = await json<{ pages: { image: { url: string } }[] }>(await fetch(`${api}/api/v1/read/${comic.id}`));
    const imageAt800 = (n: number) => fetch(`${api}${reader.pages[n]!.image.url.replace(/w=\d+/, 'w=800')}`).then(async (r) => Buffer.from(await r.arrayBuffer()));
    const images = await Promise.all(reader.pages.map((_, n) => imageAt800(n)));
    // A page image as the reader's browser asks for it (through the front server), once its 800-wide copy is kept:
    // a visit asks for one a page.
    const {
      result: image,
      cpuMsPerRequest: [imageApiCpu],
    } = await loadWithCpu(`${web}${reader.pages[0]!.image.url.replace(/w=\d+/, 'w=800')}`, { seconds: SECONDS, connections: 1 }, [apiServer.pid!]);
    const jsGz = gz(scripts);
    // A browser fetches only the faces the page uses: this comic letters in two of them.
    const used = fonts.filter((_, n) => /Shantell_Sans|IBMPlexSans-/.test(fontNames[n]!));
    const firstScreen = gz([html]) + jsGz + gz(styles) + raw(used) + raw(images.slice(0, 1));

    const row = (label: string, r: Awaited<ReturnType<typeof load>>) =>
      `  ${label.padEnd(46)} p50 ${r.p50} ms   p99 ${r.p99} ms   ${fmt(r.requestsPerSecond, 0)} req/s   errors ${r.errors}, non-2xx ${r.non2xx}`;
    return [
      `Reader: GET ${new URL(page).pathname} (${PAGES} pages, ${PAGES * COLUMNS * ROWS} panels, ${PAGES * COLUMNS * ROWS * 2} lettering boxes; published in ${fmt(published / 1000)} s) through web/server.ts and the API`,
      row('baseline GET /favicon.svg, 1 at a time', baseline),
      row('reader page, 1 at a time', render),
      row('reader page, 4 at a time', loaded),
      `  CPU per page view: web server ${fmt(webCpu!, 2)} ms, API ${fmt(apiCpu!, 2)} ms`,
      row('a page image at 800 w (kept), 1 at a time', image),
      `  API CPU per page image ${fmt(imageApiCpu!, 2)} ms`,
      `  ratio p99 reader / baseline ${fmt(render.p99 / Math.max(baseline.p99, 1), 1)}   target: reader p99 <= 50 ms`,
      `  JavaScript ${kb(jsGz)} gzipped in ${scripts.length} files (${kb(raw(scripts))} raw), target <= ${JS_BUDGET_KB} KB gzipped`,
      `  HTML ${kb(gz([html]))} gzipped (${kb(html.length)} raw), CSS ${kb(gz(styles))} gzipped, fonts ${kb(raw(fonts))} (${fonts.length} WOFF2 faces, ${used.length} used here)`,
      `  first screen on a phone (HTML, JS, CSS, the fonts used, page 1 at 800 w) ${kb(firstScreen)}; all ${PAGES} pages at 800 w ${kb(raw(images))}`,
    ];
  } finally {
    for (const server of servers.reverse()) await stopServer(server);
    await database.drop();
    await rm(storageDir, { recursive: true, force: true });
  }
}
