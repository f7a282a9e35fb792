// The client against what a real ComfyUI 0.8.0 sent: a stand-in server replays the recorded websocket
// messages (text as recorded; binary frames rebuilt from their recorded headers, sizes and metadata) and
// answers the HTTP routes with recorded bodies. The client must report progress in order, outputs, previews,
// errors (runtime error, out of memory), interruption, and recover from a dropped websocket.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { ComfyConnectionError, ComfyExecutionError, ComfyInterruptedError, ComfyPromptLostError, ComfyValidationError, createComfyClient, type ComfyClient, type ComfyClientEvent, type PromptPreview, type PromptProgress } from '../src/comfyui/client.ts';
import { createComfyEventStream } from '../src/comfyui/event-stream.ts';
import { pyJsonDumps } from '../src/simulator/pyfmt.ts';
import { recordedGraph, recording } from './comfyui-fixtures.ts';
import { run } from './comfyui-prompt.ts';

type Msg = { t: number; ws: string; kind: 'text' | 'binary'; type: string; data?: unknown; len?: number; head_hex?: string; metadata?: Record<string, unknown> };

/** The wire form of a recorded message. Binary frames kept only their head: rebuild one of the same size. */
function wire(m: Msg): string | Buffer {
  if (m.kind === 'text') return JSON.stringify({ type: m.type, data: m.data });
  const len = m.len as number;
  if (m.metadata) {
    const meta = Buffer.from(pyJsonDumps(m.metadata));
    const head = Buffer.alloc(8);
    head.writeUInt32BE(4, 0);
    head.writeUInt32BE(meta.length, 4);
    const image = Buffer.alloc(len - 8 - meta.length, 0x55);
    Buffer.from('ffd8ffe0', 'hex').copy(image);
    return Buffer.concat([head, meta, image]);
  }
  const out = Buffer.alloc(len, 0x55);
  Buffer.from(m.head_hex as string, 'hex').copy(out);
  return out;
}

/** The out-of-memory error was recorded cut short (its traceback is long): its fields up to the traceback. */
function oomError(): Record<string, unknown> {
  const text = recording<{ oom_messages: Msg[] }>('recording-errors.json').oom_messages.find((m) => m.type === 'execution_error')?.data as string;
  return { ...(JSON.parse(`${text.slice(0, text.indexOf(', "traceback"'))}}`) as Record<string, unknown>), traceback: [], current_inputs: {}, current_outputs: [] };
}

class FakeComfy {
  readonly server: Server;
  readonly wss = new WebSocketServer({ noServer: true });
  readonly sockets = new Map<string, WebSocket>();
  readonly received: unknown[] = [];
  readonly connections: string[] = [];
  history: Record<string, unknown> = {};
  queue: { queue_running: unknown[]; queue_pending: unknown[] } = { queue_running: [], queue_pending: [] };
  promptAnswer: { status: number; body: unknown } | undefined;
  onPrompt: ((body: Record<string, unknown>) => void) | undefined;
  url = '';
  private number = 0;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => this.wss.handleUpgrade(req, socket, head, (ws) => this.connect(ws, req)));
  }

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private connect(ws: WebSocket, req: IncomingMessage): void {
    const sid = new URL(req.url ?? '', 'http://x').searchParams.get('clientId') ?? 'anon';
    this.sockets.set(sid, ws);
    this.connections.push(sid);
    ws.on('message', (d) => this.received.push(JSON.parse(d.toString())));
    ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid } }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname === '/prompt') {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      if (this.promptAnswer) return json(this.promptAnswer.status, this.promptAnswer.body);
      json(200, { prompt_id: body.prompt_id, number: this.number++, node_errors: {} });
      this.onPrompt?.(body);
      return;
    }
    if (url.pathname.startsWith('/history/')) {
      const id = decodeURIComponent(url.pathname.slice('/history/'.length));
      return json(200, id in this.history ? { [id]: this.history[id] } : {});
    }
    if (url.pathname === '/queue') return json(200, this.queue);
    res.writeHead(404);
    res.end();
  }

  /** Sends recorded messages, in order, to the socket of `clientId`. */
  async replay(clientId: string, messages: Msg[]): Promise<void> {
    const ws = this.sockets.get(clientId);
    if (!ws) throw new Error(`no socket for ${clientId}`);
    for (const m of messages) {
      ws.send(wire(m));
      await new Promise((r) => setImmediate(r));
    }
  }

  kill(clientId: string): void {
    this.sockets.get(clientId)?.terminate();
    this.sockets.delete(clientId);
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(graceMs = 5_000): Promise<{ fake: FakeComfy; client: ComfyClient }> {
  const fake = new FakeComfy();
  await fake.listen();
  const client = createComfyClient({ baseUrl: fake.url, clientId: 'clientA', reconnect: { initialDelayMs: 20, maxDelayMs: 100 }, reconnectGraceMs: graceMs });
  cleanup.push(() => fake.close(), () => client.close());
  return { fake, client };
}

const protocol = (): Record<string, unknown> => recording<Record<string, unknown>>('recording-protocol.json');
const firstRun = (): Msg[] => protocol().first_run_messages_full as Msg[];
const FIRST_ID = 'e15a888a-8a33-4883-9c2d-b93d0b07d65c';

describe('the client follows recorded runs', () => {
  it('a first run: progress in order, the outputs, the files, and feature flags announced', async () => {
    const { fake, client } = await setup();
    fake.onPrompt = () => void fake.replay('clientA', firstRun());
    const progress: PromptProgress[] = [];
    const nodes: string[] = [];
    const result = await run(client, recordedGraph(), { promptId: FIRST_ID, onProgress: (p) => progress.push(p), onNode: (n) => nodes.push(n.node) });
    expect(fake.received[0]).toEqual({ type: 'feature_flags', data: { supports_preview_metadata: true } });
    expect(progress.map((p) => `${p.node}:${p.value}/${p.max}`)).toEqual(Array.from({ length: 20 }, (_, i) => `3:${i + 1}/20`));
    expect(nodes).toEqual(['4', '5', '7', '6', '3', '8', '9']);
    expect(result.outputs).toEqual({ '9': { images: [{ filename: 'probe_00001_.png', subfolder: '', type: 'output' }] } });
    expect(result.files).toEqual([{ filename: 'probe_00001_.png', subfolder: '', type: 'output', nodeId: '9', kind: 'images', animated: false }]);
    expect(result).toMatchObject({ promptId: FIRST_ID, cachedNodes: [], source: 'websocket', startedAt: 1795560202657, finishedAt: 1795560211652 });
  });

  it('previews with metadata (type 4) reach onPreview with their prompt, between the steps', async () => {
    const { fake, client } = await setup();
    const messages = protocol().preview_metadata_messages as Msg[];
    const id = '870505c3-161a-4d4e-ad17-e1c352be0b07';
    fake.onPrompt = () => void fake.replay('clientA', messages);
    const seen: string[] = [];
    const previews: PromptPreview[] = [];
    await run(client, recordedGraph(), { promptId: id, extraData: { preview_method: 'latent2rgb' }, onProgress: (p) => seen.push(`progress ${p.value}`), onPreview: (_image, _type, p) => (previews.push(p), seen.push('preview')) });
    expect(previews).toHaveLength(6);
    expect(previews.every((p) => p.binaryType === 4 && p.promptId === id && p.node === '3' && p.mimeType === 'image/jpeg')).toBe(true);
    expect(Buffer.from(previews[0]?.image ?? []).subarray(0, 4).toString('hex')).toBe('ffd8ffe0');
    expect(seen.slice(0, 4)).toEqual(['preview', 'progress 1', 'preview', 'progress 2']);
  });

  it('legacy previews (type 1) name no prompt: they go to the prompt that is executing', async () => {
    const { fake, client } = await setup();
    const id = 'd6a47393-7429-46b7-b10c-b6953510de5d';
    // The recording of this run stops before its end; its end is the one every run has.
    const tail: Msg[] = [
      { t: 0, ws: 'A', kind: 'text', type: 'executed', data: { node: '9', display_node: '9', output: { images: [{ filename: 'probe_00040_.png', subfolder: '', type: 'output' }] }, prompt_id: id } },
      { t: 0, ws: 'A', kind: 'text', type: 'execution_success', data: { prompt_id: id, timestamp: 1 } },
      { t: 0, ws: 'A', kind: 'text', type: 'executing', data: { node: null, prompt_id: id } },
    ];
    fake.onPrompt = () => void fake.replay('clientA', [...(protocol().preview_legacy_messages as Msg[]), ...tail]);
    const previews: PromptPreview[] = [];
    const result = await run(client, recordedGraph(), { promptId: id, onPreview: (_image, _type, p) => previews.push(p) });
    expect(previews.map((p) => [p.binaryType, p.promptId, p.mimeType, p.image.length])).toEqual(
      (protocol().preview_legacy_messages as Msg[]).filter((m) => m.kind === 'binary').map((m) => [1, id, 'image/jpeg', (m.len as number) - 8]),
    );
    expect(result.files[0]?.filename).toBe('probe_00040_.png');
  });

  it('an interrupt rejects with ComfyInterruptedError; the next prompt in the recording still resolves', async () => {
    const { fake, client } = await setup();
    const interrupt = protocol().interrupt as { post1: { prompt_id: string }; post2: { prompt_id: string }; messages: Msg[] };
    await client.submit(recordedGraph(), { promptId: interrupt.post1.prompt_id });
    await client.submit(recordedGraph(), { promptId: interrupt.post2.prompt_id });
    const first = client.waitForPrompt(interrupt.post1.prompt_id);
    const second = client.waitForPrompt(interrupt.post2.prompt_id);
    const firstError = first.catch((e: unknown) => e);
    await fake.replay('clientA', interrupt.messages);
    const error = await firstError;
    expect(error).toBeInstanceOf(ComfyInterruptedError);
    expect(error).toMatchObject({ code: 'interrupted', promptId: interrupt.post1.prompt_id, nodeId: '3', nodeType: 'KSampler', executed: ['5'] });
    expect((await second).outputs).toEqual({ '9': { images: [{ filename: 'probe_00042_.png', subfolder: '', type: 'output' }] } });
  });

  it('a runtime error and an out-of-memory error reject with ComfyExecutionError, OOM recognisable', async () => {
    const { fake, client } = await setup();
    const errors = recording<{ runtime_error_messages: Msg[]; oom_messages: Msg[] }>('recording-errors.json');
    const messages = [...errors.runtime_error_messages, ...errors.oom_messages].map((m) => (m.type === 'execution_error' && typeof m.data === 'string' ? { ...m, data: oomError() } : m));
    const corruptId = '95f173e5-e9f7-4db3-846e-3bc32041696a';
    const oomId = 'b5193bf8-7572-49a9-bb90-ec281a4071c7';
    await client.submit(recordedGraph(), { promptId: corruptId });
    await client.submit(recordedGraph(), { promptId: oomId });
    // While the first fails, the second waits in ComfyUI's queue.
    fake.queue = { queue_running: [], queue_pending: [[1, oomId, {}, {}, ['9']]] };
    const corrupt = client.waitForPrompt(corruptId).catch((e: unknown) => e);
    const oom = client.waitForPrompt(oomId).catch((e: unknown) => e);
    await fake.replay('clientA', messages);
    const e1 = (await corrupt) as ComfyExecutionError;
    expect(e1).toBeInstanceOf(ComfyExecutionError);
    expect(e1).toMatchObject({ code: 'execution', nodeId: '4', nodeType: 'CheckpointLoaderSimple', exceptionType: 'safetensors._safetensors_rust.SafetensorError', isOutOfMemory: false, executed: [] });
    expect(e1.message).toBe('ComfyUI failed at node 4 (CheckpointLoaderSimple): safetensors._safetensors_rust.SafetensorError: Error while deserializing header: header too large');
    expect(e1.traceback.length).toBeGreaterThan(0);
    const e2 = (await oom) as ComfyExecutionError;
    expect(e2).toMatchObject({ nodeId: '3', nodeType: 'KSampler', exceptionType: 'torch.OutOfMemoryError', isOutOfMemory: true, executed: ['4', '5', '7', '6'] });
    expect(e2.message).toMatch(/^ComfyUI failed at node 3 \(KSampler\): out of GPU memory — torch.OutOfMemoryError: Allocation on device 0/);
  });

  it('a refused graph rejects with ComfyValidationError carrying the 400 body', async () => {
    const { fake, client } = await setup();
    const recorded = (protocol().invalid_prompts as Record<string, { status: number; body: Record<string, unknown> }>).value_bigger_than_max;
    fake.promptAnswer = recorded;
    const error = (await client.submit(recordedGraph()).catch((e: unknown) => e)) as ComfyValidationError;
    expect(error).toBeInstanceOf(ComfyValidationError);
    expect(error).toMatchObject({ code: 'validation', status: 400, type: 'prompt_outputs_failed_validation', error: recorded?.body.error, nodeErrors: recorded?.body.node_errors });
    expect(error.message).toBe('ComfyUI refused the graph: Prompt outputs failed validation — node 3 (KSampler): Value 100000 bigger than max of 10000 (steps)');
  });

  it('the event stream delivers the recorded messages, typed, in order', async () => {
    const { fake } = await setup();
    const stream = createComfyEventStream({ baseUrl: fake.url, clientId: 'watcher', graceMs: 5_000, connectTimeoutMs: 5_000, previewMetadata: true, onDown: () => {} });
    cleanup.push(() => stream.close(new Error('closed')));
    const seen: ComfyClientEvent[] = [];
    const ended = new Promise<void>((resolve) =>
      stream.subscribe((e) => {
        seen.push(e);
        if (e.type === 'executing' && e.data.node === null) resolve();
      }),
    );
    await stream.connect();
    await fake.replay('watcher', protocol().preview_metadata_messages as Msg[]);
    await ended;
    const expected = (protocol().preview_metadata_messages as Msg[]).map((m) => (m.kind === 'binary' ? 'preview' : m.type));
    expect(seen.map((e) => e.type)).toEqual(['connection', 'status', ...expected]);
  });
});

describe('the websocket drops mid-prompt', () => {
  it('after reconnecting, a prompt that finished meanwhile is read from /history', async () => {
    const { fake, client } = await setup();
    const messages = firstRun();
    const cut = messages.findIndex((m) => m.type === 'progress' && (m.data as { value: number }).value === 10);
    fake.history = ((protocol()['GET /history/{id} first'] as { body: Record<string, unknown> }).body);
    fake.onPrompt = () =>
      void fake.replay('clientA', messages.slice(0, cut + 1)).then(() => {
        fake.kill('clientA');
      });
    const progress: number[] = [];
    const result = await run(client, recordedGraph(), { promptId: FIRST_ID, onProgress: (p) => progress.push(p.value) });
    expect(progress).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(fake.connections).toEqual(['clientA', 'clientA']);
    expect(result).toMatchObject({ source: 'history', outputs: { '9': { images: [{ filename: 'probe_00001_.png', subfolder: '', type: 'output' }] } }, cachedNodes: [] });
  });

  it('a prompt still running after the reconnect is followed on the new socket', async () => {
    const { fake, client } = await setup();
    const messages = firstRun();
    const cut = messages.findIndex((m) => m.type === 'progress' && (m.data as { value: number }).value === 10);
    fake.queue = { queue_running: [[10, FIRST_ID, {}, {}, ['9']]], queue_pending: [] };
    fake.onPrompt = () =>
      void fake.replay('clientA', messages.slice(0, cut + 1)).then(async () => {
        fake.kill('clientA');
        while (!fake.sockets.has('clientA')) await new Promise((r) => setTimeout(r, 10));
        // Let the client ask /queue before the rest arrives.
        await new Promise((r) => setTimeout(r, 100));
        await fake.replay('clientA', messages.slice(cut + 1));
      });
    const result = await run(client, recordedGraph(), { promptId: FIRST_ID });
    expect(result.source).toBe('websocket');
    expect(result.files[0]?.filename).toBe('probe_00001_.png');
  });

  it('a prompt that is neither queued, running nor in the history is reported lost', async () => {
    const { fake, client } = await setup();
    fake.onPrompt = () => void fake.replay('clientA', firstRun().slice(0, 10)).then(() => fake.kill('clientA'));
    const error = await run(client, recordedGraph(), { promptId: FIRST_ID }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComfyPromptLostError);
    expect(error).toMatchObject({ code: 'prompt_lost', promptId: FIRST_ID });
  });

  it('a server that does not come back fails the wait with ComfyConnectionError after the grace period', async () => {
    const { fake, client } = await setup(300);
    fake.onPrompt = () => void fake.replay('clientA', firstRun().slice(0, 10)).then(() => fake.close());
    const started = Date.now();
    const error = await run(client, recordedGraph(), { promptId: FIRST_ID }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComfyConnectionError);
    expect((error as Error).message).toMatch(/could not reconnect within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(client.submit(recordedGraph())).rejects.toBeInstanceOf(ComfyConnectionError);
  });
});
