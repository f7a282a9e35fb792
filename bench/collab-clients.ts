// A worker thread of the collaboration bench's load generator: it holds some of the clients (Hocuspocus
// providers for Inkwell, y-websocket providers for the reference), makes them write records or move their
// cursors, and times what they receive. Several of these run at once so that the generator is not what the
// bench measures.
import { parentPort } from 'node:worker_threads';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { InstancePresenceRecordType, type TLRecord } from '@tldraw/tlschema';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { caption } from '../collab-server/src/model/fixtures.ts';
import { recordsOf } from '../collab-server/src/model/index.ts';

/** One client: `doc` is the comic (or room) it joins, `index` its writer number there. */
export interface PeerSpec {
  kind: 'inkwell' | 'reference';
  url: string;
  doc: string;
  index: number;
  token?: string;
}

export type Command =
  | { type: 'open'; peers: PeerSpec[] }
  /** `records`: each client writes a record of its own; `cursors`: each moves its cursor (awareness), as the canvas does. */
  | { type: 'write'; perSecond: number; what: 'records' | 'cursors' }
  | { type: 'stop' }
  /** `sent[doc][index]`: how many updates each writer sent; resolves once all arrived or at `deadline` (ms from now). */
  | { type: 'drain'; sent: Record<string, Record<number, number>>; deadlineMs: number }
  | { type: 'close' };

export type Reply =
  | { type: 'opened' }
  /** `sent`: each writer's updates so far (its sequence number); `thisRun`: those of the last write command. */
  | { type: 'stopped'; sent: Array<{ doc: string; index: number; sent: number; thisRun: number }> }
  | { type: 'drained'; samples: Float64Array; delivered: number; cpuMs: number };

/** A clock all threads of the process share (CLOCK_MONOTONIC), in milliseconds. */
const clock = () => Number(process.hrtime.bigint()) / 1e6;

interface Peer {
  spec: PeerSpec;
  doc: Y.Doc;
  awareness: WebsocketProvider['awareness'];
  synced: Promise<void>;
  /** Highest sequence number seen from each other writer of the document. */
  seen: Map<number, number>;
  sent: number;
  sentBeforeRun: number;
  timer?: NodeJS.Timeout;
  close(): void;
}

function connect(spec: PeerSpec): Omit<Peer, 'seen' | 'sent' | 'sentBeforeRun'> {
  const doc = new Y.Doc();
  if (spec.kind === 'inkwell') {
    const socket = new HocuspocusProviderWebsocket({ url: spec.url, WebSocketPolyfill: WebSocket });
    const provider = new HocuspocusProvider({ websocketProvider: socket, name: spec.doc, document: doc, token: spec.token! });
    provider.attach();
    const synced = new Promise<void>((resolve) => provider.on('synced', () => resolve()));
    return { spec, doc, awareness: provider.awareness!, synced, close: () => (provider.destroy(), socket.destroy()) };
  }
  const provider = new WebsocketProvider(spec.url, spec.doc, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true });
  const synced = new Promise<void>((resolve) => provider.once('sync', () => resolve()));
  return { spec, doc, awareness: provider.awareness, synced, close: () => provider.destroy() };
}

/** A valid record (the collab-server refuses others) that says who wrote it, when, and which update it is. */
const stamped = (writer: number, seq: number): TLRecord => ({ ...caption(`c${writer}`, 'page:bench', 'a1', ''), meta: { sentAt: clock(), seq } });

/** A valid tldraw presence (the collab-server drops others) with the cursor somewhere new; its meta as `stamped`'s. */
const cursorAt = (writer: number, seq: number) =>
  InstancePresenceRecordType.create({
    userId: `user:bench${writer}` as never,
    userName: `bench ${writer}`,
    currentPageId: 'page:bench' as never,
    cursor: { x: seq % 1000, y: writer, type: 'default', rotation: 0 },
    lastActivityTimestamp: Date.now(),
    meta: { writer, sentAt: clock(), seq },
  });

// Every y-websocket client adds an exit listener; hundreds of them are expected here.
process.setMaxListeners(0);

let peers: Peer[] = [];
let samples: number[] = [];
let cpuAtWrite = process.threadCpuUsage();

/** Times an update of `writer`'s that `peer` received, once: a later one may overwrite it in transit. */
function received(peer: Peer, writer: number, meta: { sentAt?: unknown; seq?: unknown } | undefined, now: number): void {
  if (typeof meta?.seq !== 'number' || typeof meta.sentAt !== 'number' || writer === peer.spec.index) return;
  if (meta.seq <= (peer.seen.get(writer) ?? 0)) return;
  peer.seen.set(writer, meta.seq);
  samples.push(now - meta.sentAt);
}

function open(specs: PeerSpec[]): Promise<unknown> {
  const opened = specs.map((spec) => {
    const peer: Peer = { ...connect(spec), seen: new Map(), sent: 0, sentBeforeRun: 0 };
    const records = recordsOf(peer.doc);
    records.observe((event) => {
      if (event.transaction.local) return;
      const now = clock();
      for (const key of event.keysChanged) received(peer, Number(key.slice('shape:c'.length)), records.get(key as never)?.meta, now);
    });
    peer.awareness.on('change', ({ added, updated }: { added: number[]; updated: number[] }) => {
      const now = clock();
      for (const clientId of [...added, ...updated]) {
        const meta = (peer.awareness.getStates().get(clientId)?.presence as { meta?: { writer?: unknown; sentAt?: unknown; seq?: unknown } } | null | undefined)?.meta;
        if (typeof meta?.writer === 'number') received(peer, meta.writer, meta, now);
      }
    });
    return peer;
  });
  peers.push(...opened);
  return Promise.all(opened.map((p) => p.synced));
}

function write(perSecond: number, what: 'records' | 'cursors'): void {
  samples = [];
  cpuAtWrite = process.threadCpuUsage();
  const period = 1000 / perSecond;
  const change =
    what === 'records'
      ? (peer: Peer) => recordsOf(peer.doc).set(`shape:c${peer.spec.index}` as never, stamped(peer.spec.index, ++peer.sent))
      : (peer: Peer) => peer.awareness.setLocalStateField('presence', cursorAt(peer.spec.index, ++peer.sent));
  for (const peer of peers) {
    peer.sentBeforeRun = peer.sent;
    // Spread over the period, as independent people would be.
    setTimeout(() => {
      peer.timer = setInterval(() => change(peer), period);
    }, Math.random() * period);
  }
}

/**
 * Each update carries its writer's sequence number; Yjs applies a writer's updates in order, so having seen
 * number n from a writer means its first n updates arrived (later ones may overwrite earlier ones in transit).
 */
function delivered(sent: Record<string, Record<number, number>>): { delivered: number; expected: number } {
  let [got, expected] = [0, 0];
  for (const peer of peers) {
    for (const [writer, count] of Object.entries(sent[peer.spec.doc] ?? {})) {
      if (Number(writer) === peer.spec.index) continue;
      expected += count;
      got += Math.min(count, peer.seen.get(Number(writer)) ?? 0);
    }
  }
  return { delivered: got, expected };
}

async function drain(sent: Record<string, Record<number, number>>, deadlineMs: number): Promise<Reply> {
  const deadline = clock() + deadlineMs;
  for (let state = delivered(sent); state.delivered < state.expected && clock() < deadline; state = delivered(sent)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const cpu = process.threadCpuUsage(cpuAtWrite);
  return { type: 'drained', samples: Float64Array.from(samples), delivered: delivered(sent).delivered, cpuMs: (cpu.user + cpu.system) / 1000 };
}

parentPort!.on('message', async (command: Command) => {
  const reply = (message: Reply) => parentPort!.postMessage(message);
  switch (command.type) {
    case 'open':
      await open(command.peers);
      return reply({ type: 'opened' });
    case 'write':
      return write(command.perSecond, command.what);
    case 'stop':
      for (const peer of peers) clearInterval(peer.timer);
      return reply({ type: 'stopped', sent: peers.map((p) => ({ doc: p.spec.doc, index: p.spec.index, sent: p.sent, thisRun: p.sent - p.sentBeforeRun })) });
    case 'drain':
      return reply(await drain(command.sent, command.deadlineMs));
    case 'close':
      peers.forEach((p) => p.close());
      peers = [];
      return process.exit(0);
  }
});
