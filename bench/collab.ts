// Collaboration benchmark: Inkwell's collab-server (Hocuspocus, with auth, Postgres persistence and the
// Redis extension) against y-websocket's reference server, in the same run, on this machine's loopback.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import type { TLRecord } from '@tldraw/tlschema';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { createDatabaseClient, migrateDatabase, schema } from '@inkwell/db';
import { caption } from '../collab-server/src/model/fixtures.ts';
import { recordsOf } from '../collab-server/src/model/index.ts';
import { fmt, percentile, startServer, stopServer } from './lib.ts';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/inkwell_bench';
const API = 'http://127.0.0.1:4612';
const COLLAB = 'ws://127.0.0.1:4613/collab';
const YWS = 'ws://127.0.0.1:4614';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Session {
  cookie: string;
  comic(): Promise<{ id: string; token: string }>;
}

async function signUp(): Promise<Session> {
  const name = `bench${randomBytes(4).toString('hex')}`;
  const response = await fetch(`${API}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${name}@example.com`, username: name, password: 'benchmark password' }),
  });
  const cookie = response.headers.getSetCookie()[0]!.split(';')[0]!;
  const call = async (path: string, body?: object) => {
    const r = await fetch(`${API}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    return (await r.json()).data;
  };
  return {
    cookie,
    async comic() {
      const { id } = await call('/api/v1/comics', { title: 'Benchmark' });
      const { token } = await call(`/api/v1/comics/${id}/collab-token`);
      return { id, token };
    },
  };
}

/** One connected client of either server, reduced to what the benchmark needs. */
interface Peer {
  doc: Y.Doc;
  synced: Promise<void>;
  close(): void;
}

function inkwellPeer(comic: { id: string; token: string }): Peer {
  const socket = new HocuspocusProviderWebsocket({ url: COLLAB, WebSocketPolyfill: WebSocket });
  const doc = new Y.Doc();
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: `comic:${comic.id}`, document: doc, token: comic.token });
  provider.attach();
  const synced = new Promise<void>((resolve) => provider.on('synced', () => resolve()));
  return { doc, synced, close: () => (provider.destroy(), socket.destroy()) };
}

function referencePeer(room: string): Peer {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(YWS, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true });
  const synced = new Promise<void>((resolve) => provider.once('sync', () => resolve()));
  return { doc, synced, close: () => provider.destroy() };
}

/** A valid record (the collab-server refuses others) that says when it was written. */
const stamped = (id: string, sentAt: number): TLRecord => ({ ...caption(id, 'page:bench', 'a1', ''), meta: { sentAt } });
const sentAtOf = (record: TLRecord | undefined) => record?.meta.sentAt as number;

/** N peers on one document, each writing 10 updates a second; latency from a write to each other peer applying it. */
async function latency(makePeer: () => Peer, clients: number): Promise<{ p50: number; p99: number; delivered: number; expected: number }> {
  const peers = Array.from({ length: clients }, makePeer);
  await Promise.all(peers.map((p) => p.synced));
  const samples: number[] = [];
  peers.forEach((peer, i) => {
    recordsOf(peer.doc).observe((event) => {
      const now = performance.now();
      for (const key of event.keysChanged) if (key !== `shape:c${i}` && !event.transaction.local) samples.push(now - sentAtOf(recordsOf(peer.doc).get(key as never)));
    });
  });
  const writers = peers.map((peer, i) => setInterval(() => recordsOf(peer.doc).set(`shape:c${i}` as never, stamped(`c${i}`, performance.now())), 100));
  await sleep(SECONDS * 1000);
  writers.forEach(clearInterval);
  await sleep(500);
  peers.forEach((p) => p.close());
  samples.sort((a, b) => a - b);
  const expected = clients * (clients - 1) * SECONDS * 10;
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), delivered: samples.length, expected };
}

/** The highest rate one writer can keep up for two seconds with a reader seeing every update within 250 ms. */
async function sustainedRate(makePeer: () => Peer): Promise<number> {
  let best = 0;
  for (const rate of [1000, 2000, 4000, 8000, 16000, 32000]) {
    const [writer, reader] = [makePeer(), makePeer()];
    await Promise.all([writer.synced, reader.synced]);
    // Each update adds a record: nothing coalesces, every one must travel.
    const lags: number[] = [];
    recordsOf(reader.doc).observe((event) => {
      const now = performance.now();
      for (const key of event.keysChanged) lags.push(now - sentAtOf(recordsOf(reader.doc).get(key as never)));
    });
    const start = performance.now();
    let sent = 0;
    while (performance.now() - start < 2000) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      for (; sent < due; sent++) recordsOf(writer.doc).set(`shape:l${sent}` as never, stamped(`l${sent}`, performance.now()));
      await sleep(1);
    }
    await sleep(500);
    writer.close();
    reader.close();
    lags.sort((a, b) => a - b);
    if (lags.length < sent * 0.99 || percentile(lags, 99) > 250) break;
    best = rate;
  }
  return best;
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
}

/** Server memory for `count` open, idle documents (one connected client each), per document. */
async function memoryPerDocument(pid: number, makePeer: (n: number) => Promise<Peer>, count: number): Promise<number> {
  global.gc?.();
  await sleep(500);
  const before = await rssOf(pid);
  const peers: Peer[] = [];
  for (let n = 0; n < count; n++) peers.push(await makePeer(n));
  await Promise.all(peers.map((p) => p.synced));
  await sleep(1500);
  const after = await rssOf(pid);
  peers.forEach((p) => p.close());
  return (after - before) / count;
}

/** A document of about 10 MB: a tldraw-like store of many records with text. */
function bigDocument(): Uint8Array {
  const doc = new Y.Doc();
  const records = doc.getMap('records');
  doc.transact(() => {
    for (let i = 0; records.size < 40_000; i++) {
      records.set(`shape:${i}`, { id: `shape:${i}`, typeName: 'shape', type: 'speech-bubble', x: i, y: i, props: { text: randomBytes(120).toString('base64') } });
    }
  });
  return Y.encodeStateAsUpdate(doc);
}

async function timeToSync(makePeer: () => Peer): Promise<number> {
  const start = performance.now();
  const peer = makePeer();
  await peer.synced;
  const ms = performance.now() - start;
  peer.close();
  return ms;
}

export async function benchCollab(): Promise<string[]> {
  // Every y-websocket client adds an exit listener; hundreds of them are expected here.
  process.setMaxListeners(0);
  await migrateDatabase(DATABASE_URL);
  const env = { DATABASE_URL, LOG_LEVEL: 'warn' };
  const api = await startServer('api/src/main.ts', { ...env, API_PORT: '4612', RATE_LIMIT_DISABLED: 'true' }, `${API}/readyz`);
  const collab = await startServer('collab-server/src/main.ts', { ...env, COLLAB_PORT: '4613', API_INTERNAL_URL: API }, 'http://127.0.0.1:4613/readyz');
  const reference = await startServer('node_modules/y-websocket/bin/server.cjs', { HOST: '127.0.0.1', PORT: '4614' }, 'http://127.0.0.1:4614/');
  const database = createDatabaseClient(DATABASE_URL, { max: 2 });
  try {
    const user = await signUp();
    const lines = ['Collaboration: Inkwell collab-server vs y-websocket@2 reference server (same machine, same run)'];

    for (const clients of [2, 10, 50]) {
      const comic = await user.comic();
      const ours = await latency(() => inkwellPeer(comic), clients);
      const room = `room-${randomBytes(4).toString('hex')}`;
      const theirs = await latency(() => referencePeer(room), clients);
      lines.push(
        `  ${String(clients).padStart(2)} clients x 10 updates/s   update-to-remote-apply p50 ${fmt(ours.p50)} ms p99 ${fmt(ours.p99)} ms ` +
          `(y-websocket p50 ${fmt(theirs.p50)} p99 ${fmt(theirs.p99)}; p99 ratio ${fmt(ours.p99 / theirs.p99, 2)}) ` +
          `delivered ${ours.delivered}/${ours.expected} vs ${theirs.delivered}/${theirs.expected}`,
      );
    }

    const rateComic = await user.comic();
    const oursRate = await sustainedRate(() => inkwellPeer(rateComic));
    const rateRoom = `rate-${randomBytes(4).toString('hex')}`;
    const theirsRate = await sustainedRate(() => referencePeer(rateRoom));
    lines.push(`  sustained updates/s, one writer (server on one core)   ${oursRate} (y-websocket ${theirsRate}) (target >= 2000)`);

    const docs = 200;
    const comics = await Promise.all(Array.from({ length: docs }, () => user.comic()));
    const oursMemory = await memoryPerDocument(collab.pid!, async (n) => inkwellPeer(comics[n]!), docs);
    const theirsMemory = await memoryPerDocument(reference.pid!, async (n) => referencePeer(`idle-${n}-${randomBytes(3).toString('hex')}`), docs);
    lines.push(
      `  memory per idle open document (with its one connection)   ${fmt(oursMemory / 1024)} KB (y-websocket ${fmt(theirsMemory / 1024)} KB) (target <= 100 KB)`,
    );

    const state = bigDocument();
    const big = await user.comic();
    await database.db.insert(schema.comicDocuments).values({ comicId: big.id, state: Buffer.from(state) });
    const cold = await timeToSync(() => inkwellPeer(big));
    const holder = inkwellPeer(big);
    await holder.synced;
    const warm = await timeToSync(() => inkwellPeer(big));
    holder.close();
    const refRoom = `big-${randomBytes(4).toString('hex')}`;
    const seed = referencePeer(refRoom);
    await seed.synced;
    Y.applyUpdate(seed.doc, state);
    await sleep(2000);
    const reference10 = await timeToSync(() => referencePeer(refRoom));
    seed.close();
    lines.push(
      `  new client syncs a ${fmt(state.length / 1e6)} MB document   loaded from Postgres ${fmt(cold, 0)} ms, already open ${fmt(warm, 0)} ms ` +
        `(y-websocket, in memory: ${fmt(reference10, 0)} ms) (target <= 1000 ms)`,
    );
    return lines;
  } finally {
    await database.close();
    await Promise.all([stopServer(api), stopServer(collab), stopServer(reference)]);
  }
}
