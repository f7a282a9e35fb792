// Shared by the ComfyUI client and simulator tests: the recordings of a real ComfyUI 0.8.0 (kept in
// fixtures/comfyui, so a clone alone passes), the recorded text-to-image graph, a raw
// websocket that keeps what it receives, and the recordings' way of summarising a message sequence.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { orderedEntries, orderedKeys, parseOrderedJson } from '../src/simulator/ordered-json.ts';

export { orderedKeys };

const recordingsDir = resolve(dirname(fileURLToPath(import.meta.url)), 'fixtures/comfyui');

const cache = new Map<string, unknown>();

/** A recording file, parsed keeping key order (node ids are integer-like keys). */
export function recording<T = Record<string, unknown>>(name: 'recording-protocol.json' | 'recording-queue.json' | 'recording-errors.json' | 'object_info.json'): T {
  let value = cache.get(name);
  if (value === undefined) {
    value = parseOrderedJson(readFileSync(resolve(recordingsDir, name), 'utf8'));
    cache.set(name, value);
  }
  return value as T;
}

export interface RecordedRun {
  label: string;
  prompt_id: string;
  status: string;
  seq: string[];
}

export function recordedRun(file: 'recording-protocol.json' | 'recording-errors.json' | 'recording-queue.json', label: string): RecordedRun {
  const runs = recording<{ runs: RecordedRun[] }>(file).runs;
  const run = runs.find((r) => r.label === label);
  if (!run) throw new Error(`no run ${label} in ${file}`);
  return run;
}

/** The node order of the recorded text-to-image graph, as ComfyUI received it. */
export const RECORDED_ORDER = ['4', '6', '7', '5', '3', '8', '9'];

export type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** The graph of the recording's first run: SD1.5 checkpoint, two prompts, 512×512, KSampler 20 steps, SaveImage "probe". */
export function recordedGraph(): Graph {
  const entry = recording<Record<string, { body: Record<string, { prompt: unknown[] }> }>>('recording-protocol.json')['GET /history/{id} first'];
  const body = entry?.body ?? {};
  const first = Object.values(body)[0];
  return structuredClone(first?.prompt[2]) as Graph;
}

/** JSON text of a graph with its nodes in the recorded order (JSON.stringify would sort integer keys). */
export function graphJson(graph: Graph, order: string[] = RECORDED_ORDER): string {
  const ids = [...order.filter((id) => id in graph), ...Object.keys(graph).filter((id) => !order.includes(id))];
  return `{${ids.map((id) => `${JSON.stringify(id)}:${JSON.stringify(graph[id])}`).join(',')}}`;
}

/** A request body for POST /prompt with the graph in the recorded order. */
export function promptBody(graph: Graph, fields: Record<string, unknown> = {}, order?: string[]): string {
  const rest = Object.entries(fields).map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`).join('');
  return `{"prompt":${graphJson(graph, order)}${rest}}`;
}

/** The recorded graph with some inputs changed: `{ '3': { seed: 5 } }`. */
export function variant(changes: Record<string, Record<string, unknown>>): Graph {
  const g = recordedGraph();
  for (const [id, inputs] of Object.entries(changes)) Object.assign((g[id] as Graph[string]).inputs, inputs);
  return g;
}

export interface Received {
  kind: 'text' | 'binary';
  type: string;
  data: unknown;
  bytes?: Buffer;
}

/** A websocket to a ComfyUI (real protocol, no client library) that keeps every message it receives. */
export class RawSocket {
  readonly ws: WebSocket;
  readonly messages: Received[] = [];
  private waiters: Array<() => void> = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.messages.push({ kind: 'binary', type: `binary:${data.readUInt32BE(0)}`, data: undefined, bytes: Buffer.from(data) });
      } else {
        const msg = parseOrderedJson(data.toString()) as { type: string; data: unknown };
        this.messages.push({ kind: 'text', type: msg.type, data: msg.data });
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(baseUrl: string, clientId?: string, featureFlags?: Record<string, unknown>): Promise<RawSocket> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/ws${clientId ? `?clientId=${clientId}` : ''}`;
    const ws = new WebSocket(url);
    const socket = new RawSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if (featureFlags) ws.send(JSON.stringify({ type: 'feature_flags', data: featureFlags }));
    // The server greets every socket with its status (and the sid); wait for it.
    await socket.waitFor((m) => m.type === 'status');
    return socket;
  }

  /** Resolves with the first message (from `from` on) that matches. */
  async waitFor(match: (m: Received) => boolean, from = 0, timeoutMs = 10_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for a message; got ${summarise(this.messages.slice(from)).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for `executing {node: null}` of a prompt (its end, as ComfyUI signals it to the submitter). */
  waitForEnd(promptId: string, from = 0): Promise<Received> {
    return this.waitFor((m) => m.type === 'executing' && (m.data as { node: unknown; prompt_id?: string }).node === null && (m.data as { prompt_id?: string }).prompt_id === promptId, from);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** The recordings' summary of one message: `progress_state(4:finished,5:running)`, `progress(1/20,node=3)`… */
export function describe(m: Pick<Received, 'type' | 'data'>): string {
  const d = m.data as Record<string, unknown>;
  switch (m.type) {
    case 'progress_state':
      return `progress_state(${orderedEntries(d.nodes as object)
        .map(([id, n]) => `${id}:${(n as { state: string }).state}`)
        .join(',')})`;
    case 'executing':
      return `executing(node=${d.node === null ? 'None' : String(d.node)})`;
    case 'progress':
      return `progress(${String(d.value)}/${String(d.max)},node=${String(d.node)})`;
    case 'executed':
      return `executed(node=${String(d.node)})`;
    default:
      return m.type;
  }
}

/** A message sequence summarised as the recordings do: runs of the same entry collapse into `entry xN`. */
export function summarise(messages: Array<Pick<Received, 'type' | 'data'>>): string[] {
  const out: string[] = [];
  let last: string | undefined;
  let count = 0;
  const flush = (): void => {
    if (last !== undefined) out.push(count > 1 ? `${last} x${count}` : last);
  };
  for (const m of messages) {
    const d = describe(m);
    if (d === last) {
      count++;
    } else {
      flush();
      last = d;
      count = 1;
    }
  }
  flush();
  return out;
}

/** A summary without `status` entries (their interleaving depends on when requests arrive). */
export function withoutStatus(seq: string[]): string[] {
  return seq.filter((s) => !/^status( x\d+)?$/.test(s));
}

export async function postPrompt(baseUrl: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${baseUrl}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Removes what the recorded catalogue lacks (tooltips were stripped from it) before comparing bodies. */
export function withoutTooltips(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutTooltips);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'tooltip').map(([k, x]) => [k, withoutTooltips(x)]));
  }
  return v;
}

/** GET a JSON route, keeping key order (node ids). */
export async function getOrdered<T = Record<string, unknown>>(url: string): Promise<T> {
  const res = await fetch(url);
  return parseOrderedJson(await res.text()) as T;
}
