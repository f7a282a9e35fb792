// The ComfyUI simulator: ComfyUI 0.8.0's HTTP routes and websocket on one port (node:http + ws), backed by the
// simulated queue and executor. Routes answer with ComfyUI's status codes and bodies; every route is also
// served under /api, as ComfyUI does.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import sharp from 'sharp';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { bundledObjectInfo, DEFAULT_MODELS, MODEL_FOLDERS, NodeCatalogue, type ModelLists, type ObjectInfo } from './catalogue.ts';
import { Executor, type FailRule, type HistoryEntry, type Hub, type QueueItem } from './executor.ts';
import type { Graph } from './graph.ts';
import { placeholderPng } from './media.ts';
import { cloneOrdered, orderedObject, parseOrderedJson, stringifyOrdered } from './ordered-json.ts';
import { pyFloat, pyJsonDumps } from './pyfmt.ts';
import { SERVER_FEATURES, systemStats } from './recorded.ts';
import { annotatedPath, FileStore, mediaKindOf, safeRelative, type FolderType } from './store.ts';
import { validatePrompt } from './validate.ts';

export interface ComfySimulatorOptions {
  /** Port to listen on; 0 (tests) picks a free one. Default 8188. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Time per sampler step in ms (ComfyUI on an H100: about 45 ms at 512×512). Default 50. */
  stepMs?: number;
  /** Time per non-sampling node in ms. Default 0. */
  nodeMs?: number;
  /** The node catalogue (ComfyUI /object_info). Default: the bundled ComfyUI 0.8.0 core catalogue. */
  objectInfo?: ObjectInfo;
  /** Node definitions added to the catalogue (custom-node packs, e.g. workflows/custom-nodes/*.json). */
  extraNodes?: ObjectInfo;
  /** Model files per folder; a folder given here replaces the default list of that folder (DEFAULT_MODELS). */
  models?: ModelLists;
  /** Failures to inject into every matching prompt (see FailRule); `failNext()` injects one at run time. */
  failOn?: FailRule | FailRule[];
  /** Generated files kept in memory before the oldest are forgotten. Default 5000. */
  maxStoredFiles?: number;
  /** Where to write a line per request and per prompt. Default: nowhere. */
  log?: (line: string) => void;
}

export type SimulatorEvent = 'queued' | 'started' | 'finished' | 'idle';

export interface ComfySimulator {
  /** http://host:port */
  readonly url: string;
  readonly port: number;
  /** Closes sockets politely, stops the queue, stops listening. Idempotent. */
  close(): Promise<void>;
  /** A ComfyUI that dies: connections cut without a close frame, the running prompt and the queue lost. */
  crash(): Promise<void>;
  /** Starts again on the same port after crash()/close(), like a restarted ComfyUI: empty queue and history, files kept. */
  restart(): Promise<void>;
  /** Cuts every websocket (no close frame) while the server and the running prompt carry on. */
  dropConnections(): void;
  /** Makes the next matching node fail (once). */
  failNext(rule?: FailRule): void;
  /** Changes the simulated timings. */
  setTiming(timing: { stepMs?: number; nodeMs?: number }): void;
  /** Prompts queued or running. */
  queueRemaining(): number;
  /** Websockets connected now. */
  connectionCount(): number;
  on(event: SimulatorEvent, listener: (promptId: string, status?: string) => void): void;
  off(event: SimulatorEvent, listener: (promptId: string, status?: string) => void): void;
  /** Resolves when the prompt has finished (success, error or interrupted) with its status_str. */
  waitForPrompt(promptId: string): Promise<string>;
}

interface Client {
  ws: WebSocket;
  featureFlags: Record<string, unknown> | undefined;
  firstMessage: boolean;
}

class HttpError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(status: number, body = '') {
    super(body);
    this.status = status;
    this.body = body;
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_BODY = SERVER_FEATURES.max_upload_size;

function sendJson(res: ServerResponse, status: number, body: unknown, ordered = false): void {
  const text = ordered ? stringifyOrdered(body) : JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendEmpty(res: ServerResponse, status: number, text = ''): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, '413: Request Entity Too Large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readBody(req)).toString('utf8');
  let value: unknown;
  try {
    value = parseOrderedJson(text);
  } catch {
    // aiohttp's request.json() raises, and the handler does not catch it.
    throw new HttpError(500, '500 Internal Server Error\n\nServer got itself in trouble');
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function hexId(): string {
  return randomUUID().replaceAll('-', '');
}

export async function createComfySimulator(options: ComfySimulatorOptions = {}): Promise<ComfySimulator> {
  const log = options.log ?? (() => {});
  const store = new FileStore({ maxGeneratedFiles: options.maxStoredFiles });
  const base: ObjectInfo = { ...(options.objectInfo ?? bundledObjectInfo()), ...(options.extraNodes ?? {}) };
  const models: Record<string, readonly string[]> = { ...DEFAULT_MODELS, ...(options.models ?? {}) };
  const catalogue = new NodeCatalogue({
    base,
    models,
    inputFiles: () => {
      const names = store.list('input');
      return {
        image: names.filter((n) => mediaKindOf(n) === 'image'),
        video: names.filter((n) => mediaKindOf(n) === 'video'),
        audio: names.filter((n) => mediaKindOf(n) === 'audio'),
      };
    },
  });
  // The recorded server's input folder held ComfyUI's example.png.
  store.put('input', '', 'example.png', await placeholderPng({ width: 512, height: 512, seed: 'example', text: 'example.png' }), { width: 512, height: 512 });

  const failOn = (Array.isArray(options.failOn) ? options.failOn : options.failOn ? [options.failOn] : []).map((r) => ({ ...r }));
  const timing = { stepMs: options.stepMs ?? 50, nodeMs: options.nodeMs ?? 0 };
  const events = new EventEmitter();
  const clients = new Map<string, Client>();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const argv = ['simulator', '--port', String(options.port ?? 8188)];

  const hub: Hub = {
    send(type, data, sid) {
      // progress_state lists nodes in the order they ran (integer-like keys): only it needs ordered writing.
      const text = type === 'progress_state' ? stringifyOrdered({ type, data }) : JSON.stringify({ type, data });
      if (sid === null) {
        for (const c of clients.values()) if (c.ws.readyState === c.ws.OPEN) c.ws.send(text);
      } else {
        const c = clients.get(sid);
        if (c && c.ws.readyState === c.ws.OPEN) c.ws.send(text);
      }
    },
    sendPreview(jpeg, metadata, sid, phase) {
      const targets = sid === null ? [...clients.values()] : [clients.get(sid)].filter((c): c is Client => c !== undefined);
      for (const c of targets) {
        if (c.ws.readyState !== c.ws.OPEN) continue;
        const withMetadata = c.featureFlags?.supports_preview_metadata === true;
        if (withMetadata && phase === 'before-progress') {
          const meta = Buffer.from(pyJsonDumps(metadata), 'utf8');
          const head = Buffer.alloc(8);
          head.writeUInt32BE(4, 0);
          head.writeUInt32BE(meta.length, 4);
          c.ws.send(Buffer.concat([head, meta, jpeg]));
        } else if (!withMetadata && phase === 'after-progress') {
          const head = Buffer.alloc(8);
          head.writeUInt32BE(1, 0);
          head.writeUInt32BE(1, 4); // 1: JPEG, 2: PNG
          c.ws.send(Buffer.concat([head, jpeg]));
        }
      }
    },
  };

  let executor: Executor;
  let promptNumber = 0;
  const startExecutor = (): void => {
    executor = new Executor({ hub, catalogue, store, options: { get stepMs() { return timing.stepMs; }, get nodeMs() { return timing.nodeMs; }, failOn } });
    for (const event of ['queued', 'started', 'finished', 'idle'] as const) {
      executor.on(event, (...args: unknown[]) => {
        if (event === 'finished') log(`prompt ${String(args[0])} ${String(args[1])}`);
        events.emit(event, ...args);
      });
    }
    promptNumber = 0;
  };
  startExecutor();

  const inputFileExists = (value: string): boolean => store.resolveAnnotated(value) !== undefined;

  // --- routes -----------------------------------------------------------------------------------------------

  const routes: Array<{ method: string; pattern: RegExp; handle: (req: IncomingMessage, res: ServerResponse, m: RegExpExecArray, url: URL) => Promise<void> | void }> = [
    { method: 'GET', pattern: /^\/system_stats$/, handle: (_q, res) => sendJson(res, 200, systemStats(argv)) },
    { method: 'GET', pattern: /^\/features$/, handle: (_q, res) => sendJson(res, 200, SERVER_FEATURES) },
    { method: 'GET', pattern: /^\/object_info$/, handle: (_q, res) => sendJson(res, 200, catalogue.all()) },
    {
      method: 'GET',
      pattern: /^\/object_info\/(.+)$/,
      handle: (_q, res, m) => {
        const name = decodeURIComponent(m[1] as string);
        const def = catalogue.get(name);
        sendJson(res, 200, def ? { [name]: def } : {});
      },
    },
    { method: 'GET', pattern: /^\/embeddings$/, handle: (_q, res) => sendJson(res, 200, []) },
    { method: 'GET', pattern: /^\/extensions$/, handle: (_q, res) => sendJson(res, 200, []) },
    { method: 'GET', pattern: /^\/models$/, handle: (_q, res) => sendJson(res, 200, MODEL_FOLDERS) },
    {
      method: 'GET',
      pattern: /^\/models\/([^/]+)$/,
      handle: (_q, res, m) => {
        const folder = decodeURIComponent(m[1] as string);
        if (!(MODEL_FOLDERS as readonly string[]).includes(folder)) return sendEmpty(res, 404, '404: Not Found');
        sendJson(res, 200, catalogue.models(folder));
      },
    },
    { method: 'GET', pattern: /^\/prompt$/, handle: (_q, res) => sendJson(res, 200, { exec_info: { queue_remaining: executor.queueRemaining() } }) },
    {
      method: 'POST',
      pattern: /^\/prompt$/,
      handle: async (req, res) => {
        const body = await readJson(req);
        let number: number;
        if ('number' in body) {
          number = pyFloat(body.number);
        } else {
          number = promptNumber;
          if (body.front) number = -number;
          promptNumber++;
        }
        if (!('prompt' in body)) {
          return sendJson(res, 400, { error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, node_errors: {} });
        }
        const prompt = cloneOrdered(body.prompt) as Graph;
        const promptId = body.prompt_id === undefined ? randomUUID() : String(body.prompt_id);
        const valid = validatePrompt(prompt, body.partial_execution_targets, { catalogue, inputFileExists });
        if (!valid.ok) {
          log(`invalid prompt: ${valid.error.type} ${valid.error.message}`);
          return sendJson(res, 400, { error: valid.error, node_errors: valid.nodeErrors }, true);
        }
        const extraData: Record<string, unknown> = body.extra_data && typeof body.extra_data === 'object' ? { ...(body.extra_data as Record<string, unknown>) } : {};
        if ('client_id' in body) extraData.client_id = body.client_id;
        extraData.create_time = Date.now();
        const item: QueueItem = { number, promptId, prompt, extraData, outputs: valid.outputs };
        executor.put(item);
        sendJson(res, 200, { prompt_id: promptId, number, node_errors: valid.nodeErrors }, true);
      },
    },
    {
      method: 'GET',
      pattern: /^\/queue$/,
      handle: (_q, res) => {
        const { running, pending } = executor.queueState();
        const row = (i: QueueItem): unknown[] => [i.number, i.promptId, i.prompt, i.extraData, i.outputs];
        sendJson(res, 200, { queue_running: running.map(row), queue_pending: pending.map(row) }, true);
      },
    },
    {
      method: 'POST',
      pattern: /^\/queue$/,
      handle: async (req, res) => {
        const body = await readJson(req);
        if ('clear' in body && body.clear) executor.clearPending();
        if ('delete' in body && Array.isArray(body.delete)) for (const id of body.delete) executor.deletePending(String(id));
        sendEmpty(res, 200);
      },
    },
    {
      method: 'POST',
      pattern: /^\/interrupt$/,
      handle: async (req, res) => {
        let body: Record<string, unknown>;
        try {
          body = await readJson(req);
        } catch {
          body = {};
        }
        const id = body.prompt_id;
        executor.interrupt(typeof id === 'string' && id !== '' ? id : undefined);
        sendEmpty(res, 200);
      },
    },
    {
      method: 'POST',
      pattern: /^\/free$/,
      handle: async (req, res) => {
        const body = await readJson(req);
        // ComfyUI unloads models (unload_models) and resets its executor's caches (free_memory).
        if (body.unload_models === true || body.free_memory === true) executor.unloadModels();
        sendEmpty(res, 200);
      },
    },
    {
      method: 'GET',
      pattern: /^\/history$/,
      handle: (_q, res, _m, url) => {
        const maxItems = url.searchParams.has('max_items') ? Number.parseInt(url.searchParams.get('max_items') as string, 10) : undefined;
        let offset = url.searchParams.has('offset') ? Number.parseInt(url.searchParams.get('offset') as string, 10) : -1;
        const history = executor.historyEntries();
        if (offset < 0 && maxItems !== undefined) offset = history.size - maxItems;
        const out: Array<[string, HistoryEntry]> = [];
        let i = 0;
        for (const [id, entry] of history) {
          if (i >= offset) {
            out.push([id, entry]);
            if (maxItems !== undefined && out.length >= maxItems) break;
          }
          i++;
        }
        sendJson(res, 200, orderedObject(out), true);
      },
    },
    {
      method: 'GET',
      pattern: /^\/history\/(.+)$/,
      handle: (_q, res, m) => {
        const id = decodeURIComponent(m[1] as string);
        const entry = executor.historyEntries().get(id);
        sendJson(res, 200, entry ? { [id]: entry } : {}, true);
      },
    },
    {
      method: 'POST',
      pattern: /^\/history$/,
      handle: async (req, res) => {
        const body = await readJson(req);
        if (body.clear) executor.clearHistory();
        if (Array.isArray(body.delete)) for (const id of body.delete) executor.deleteHistory(String(id));
        sendEmpty(res, 200);
      },
    },
    { method: 'GET', pattern: /^\/view$/, handle: (_q, res, _m, url) => view(res, url) },
    { method: 'POST', pattern: /^\/upload\/image$/, handle: (req, res) => upload(req, res) },
    { method: 'GET', pattern: /^\/api\/jobs$/, handle: (_q, res, _m, url) => jobs(res, url) },
    {
      method: 'GET',
      pattern: /^\/api\/jobs\/(.+)$/,
      handle: (_q, res, m) => {
        const id = decodeURIComponent(m[1] as string);
        const job = findJob(id);
        if (!job) return sendJson(res, 404, { error: 'Job not found' });
        sendJson(res, 200, job, true);
      },
    },
    {
      method: 'GET',
      pattern: /^\/$/,
      handle: (_q, res) => {
        const html = '<!doctype html><title>ComfyUI simulator</title><h1>ComfyUI simulator</h1><p>Inkwell\'s stand-in for ComfyUI 0.8.0: the same HTTP and websocket protocol, simulated pictures.</p>';
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html);
      },
    },
  ];

  function view(res: ServerResponse, url: URL): void {
    const raw = url.searchParams.get('filename');
    if (raw === null) return sendEmpty(res, 404, '404: Not Found');
    const { name, type: annotated } = annotatedPath(raw);
    if (!name) return sendEmpty(res, 400);
    if (name.startsWith('/') || name.includes('..')) return sendEmpty(res, 400);
    const type = (annotated ?? url.searchParams.get('type') ?? 'output') as FolderType;
    if (!['input', 'output', 'temp'].includes(type)) return sendEmpty(res, 400);
    let subfolder = '';
    if (url.searchParams.has('subfolder')) {
      const rel = safeRelative(url.searchParams.get('subfolder') as string);
      if (rel === undefined) return sendEmpty(res, 403);
      subfolder = rel;
    }
    const filename = name.split('/').pop() as string;
    const file = store.get(type, subfolder, filename);
    if (!file) return sendEmpty(res, 404, '404: Not Found');
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.bytes.length, 'content-disposition': `filename="${filename}"` });
    res.end(file.bytes);
  }

  async function upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    let form: FormData;
    try {
      form = await new Request('http://simulator/upload/image', { method: 'POST', headers, body: new Uint8Array(body) }).formData();
    } catch {
      return sendEmpty(res, 400);
    }
    const image = form.get('image');
    if (!image || typeof image === 'string' || !image.name) return sendEmpty(res, 400);
    const typeField = form.get('type');
    const type: FolderType = typeField === 'output' || typeField === 'temp' ? typeField : 'input';
    const subfolderField = form.get('subfolder');
    const subfolderRaw = typeof subfolderField === 'string' ? subfolderField : '';
    const subfolder = safeRelative(subfolderRaw);
    if (subfolder === undefined || image.name.includes('/') || image.name.includes('\\') || image.name === '..') return sendEmpty(res, 400);
    const overwrite = form.get('overwrite');
    const bytes = Buffer.from(await image.arrayBuffer());
    let filename = image.name;
    let duplicate = false;
    if (overwrite !== 'true' && overwrite !== '1') {
      const dot = filename.lastIndexOf('.');
      const [stem, ext] = dot > 0 ? [filename.slice(0, dot), filename.slice(dot)] : [filename, ''];
      for (let i = 1; ; i++) {
        const existing = store.get(type, subfolder, filename);
        if (!existing) break;
        if (existing.bytes.equals(bytes)) {
          duplicate = true;
          break;
        }
        filename = `${stem} (${i})${ext}`;
      }
    }
    if (!duplicate) {
      let size: { width: number; height: number } | undefined;
      try {
        const meta = await sharp(bytes).metadata();
        if (meta.width && meta.height) size = { width: meta.width, height: meta.pageHeight ?? meta.height };
      } catch {
        size = undefined;
      }
      store.put(type, subfolder, filename, bytes, size);
      catalogue.invalidate();
    }
    sendJson(res, 200, { name: filename, subfolder: subfolderRaw, type });
  }

  // --- /api/jobs (comfy_execution/jobs.py) ------------------------------------------------------------------

  function outputsSummary(outputs: Record<string, Record<string, unknown>>): { count: number; preview: Record<string, unknown> | undefined } {
    let count = 0;
    let preview: Record<string, unknown> | undefined;
    let fallback: Record<string, unknown> | undefined;
    for (const [nodeId, nodeOutputs] of Object.entries(outputs)) {
      for (const [mediaType, items] of Object.entries(nodeOutputs)) {
        if (mediaType === 'animated' || !Array.isArray(items)) continue;
        for (const item of items) {
          if (!item || typeof item !== 'object') continue;
          count++;
          const previewable = ['images', 'video', 'audio'].includes(mediaType) || /^(video|audio)\//.test(String((item as Record<string, unknown>).format ?? ''));
          if (!preview && previewable) {
            const enriched = { ...(item as Record<string, unknown>), nodeId, mediaType };
            if ((item as Record<string, unknown>).type === 'output') preview = enriched;
            else fallback ??= enriched;
          }
        }
      }
    }
    return { count, preview: preview ?? fallback };
  }

  function prune(o: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
  }

  function queueJob(item: QueueItem, status: string): Record<string, unknown> {
    return prune({ id: item.promptId, status, priority: item.number, create_time: item.extraData.create_time, outputs_count: 0 });
  }

  function historyJob(id: string, entry: HistoryEntry, full: boolean): Record<string, unknown> {
    const [priority, , prompt, extraData] = entry.prompt;
    let start: unknown;
    let end: unknown;
    let error: unknown;
    for (const [event, data] of entry.status.messages) {
      if (event === 'execution_start') start = data.timestamp;
      if (event === 'execution_success' || event === 'execution_error' || event === 'execution_interrupted') end = data.timestamp;
      if (event === 'execution_error') error = data;
    }
    const { count, preview } = outputsSummary(entry.outputs as Record<string, Record<string, unknown>>);
    const job = prune({
      id,
      status: entry.status.status_str === 'error' ? 'failed' : 'completed',
      priority,
      create_time: extraData.create_time,
      execution_start_time: start,
      execution_end_time: end,
      execution_error: error,
      outputs_count: count,
      preview_output: preview,
    });
    if (full) Object.assign(job, { outputs: entry.outputs, execution_status: entry.status, workflow: { prompt, extra_data: extraData } });
    return job;
  }

  function findJob(id: string): Record<string, unknown> | undefined {
    const entry = executor.historyEntries().get(id);
    if (entry) return historyJob(id, entry, true);
    const { running, pending } = executor.queueState();
    const r = running.find((i) => i.promptId === id);
    if (r) return queueJob(r, 'in_progress');
    const p = pending.find((i) => i.promptId === id);
    return p ? queueJob(p, 'pending') : undefined;
  }

  function jobs(res: ServerResponse, url: URL): void {
    const statusParam = url.searchParams.get('status');
    const filter = statusParam ? statusParam.split(',').map((s) => s.trim()) : ['pending', 'in_progress', 'completed', 'failed'];
    const sortOrder = url.searchParams.get('sort_order') === 'asc' ? 'asc' : 'desc';
    const sortBy = url.searchParams.get('sort_by') ?? 'created_at';
    const limitRaw = url.searchParams.get('limit');
    const limit = limitRaw === null ? null : Number.parseInt(limitRaw, 10);
    const offset = Math.max(0, Number.parseInt(url.searchParams.get('offset') ?? '0', 10) || 0);
    if (limit !== null && (!Number.isInteger(limit) || limit < 0)) return sendJson(res, 400, { error: 'limit must be a non-negative integer' });
    const list: Array<Record<string, unknown>> = [];
    const { running, pending } = executor.queueState();
    if (filter.includes('in_progress')) list.push(...running.map((i) => queueJob(i, 'in_progress')));
    if (filter.includes('pending')) list.push(...pending.map((i) => queueJob(i, 'pending')));
    for (const [id, entry] of executor.historyEntries()) {
      const failed = entry.status.status_str === 'error';
      if ((failed && filter.includes('failed')) || (!failed && filter.includes('completed'))) list.push(historyJob(id, entry, false));
    }
    const key = (j: Record<string, unknown>): number => {
      if (sortBy === 'execution_duration') {
        const s = Number(j.execution_start_time ?? 0);
        const e = Number(j.execution_end_time ?? 0);
        return s && e ? e - s : 0;
      }
      return Number(j.create_time ?? 0);
    };
    list.sort((a, b) => (sortOrder === 'desc' ? key(b) - key(a) : key(a) - key(b)));
    const total = list.length;
    let page = offset > 0 ? list.slice(offset) : list;
    if (limit !== null) page = page.slice(0, limit);
    sendJson(res, 200, { jobs: page, pagination: { offset, limit, total, has_more: offset + page.length < total } }, true);
  }

  // --- server -----------------------------------------------------------------------------------------------

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    let path = url.pathname;
    if (path.startsWith('/api/') && !path.startsWith('/api/jobs')) path = path.slice(4);
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    let matchedPath = false;
    for (const route of routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      matchedPath = true;
      if (route.method !== method) continue;
      try {
        await route.handle(req, res, m, url);
      } catch (err) {
        if (err instanceof HttpError) {
          if (!res.headersSent) sendEmpty(res, err.status, err.body);
        } else {
          log(`error in ${req.method} ${path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          if (!res.headersSent) sendEmpty(res, 500, '500 Internal Server Error\n\nServer got itself in trouble');
        }
      }
      return;
    }
    sendEmpty(res, matchedPath ? 405 : 404, matchedPath ? '405: Method Not Allowed' : '404: Not Found');
  };

  const onConnection = (ws: WebSocket, req: IncomingMessage): void => {
    const url = new URL(req.url ?? '/ws', 'http://simulator');
    const sid = url.searchParams.get('clientId') || hexId();
    const client: Client = { ws, featureFlags: undefined, firstMessage: true };
    clients.set(sid, client);
    ws.on('error', () => {});
    ws.on('close', () => {
      if (clients.get(sid) === client) clients.delete(sid);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      try {
        const msg = JSON.parse(data.toString()) as { type?: unknown; data?: unknown };
        if (client.firstMessage && msg.type === 'feature_flags') {
          client.featureFlags = msg.data && typeof msg.data === 'object' ? (msg.data as Record<string, unknown>) : {};
          hub.send('feature_flags', SERVER_FEATURES, sid);
        }
      } catch {
        // ComfyUI logs and ignores a message that is not JSON.
      }
      client.firstMessage = false;
    });
    hub.send('status', { status: { exec_info: { queue_remaining: executor.queueRemaining() } }, sid }, sid);
    const node = executor.executingNodeFor(sid);
    if (node !== null) hub.send('executing', { node }, sid);
  };
  wss.on('connection', onConnection);

  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = options.port ?? 8188;
  const host = options.host ?? '127.0.0.1';

  const listen = async (): Promise<void> => {
    const s = createServer((req, res) => {
      const started = Date.now();
      res.on('finish', () => log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
      void handle(req, res);
    });
    s.keepAliveTimeout = 5_000;
    s.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    s.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://simulator').pathname;
      if (path !== '/ws' && path !== '/api/ws') {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        resolve();
      });
    });
    port = (s.address() as AddressInfo).port;
    server = s;
    argv[2] = String(port);
  };

  let closing: Promise<void> | undefined;
  const shutdown = async (abrupt: boolean): Promise<void> => {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const c of clients.values()) {
      if (abrupt) c.ws.terminate();
      else c.ws.close(1001, 'server shutting down');
    }
    clients.clear();
    await executor.halt();
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    if (abrupt) {
      s.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    } else {
      s.closeIdleConnections();
      setTimeout(() => s.closeAllConnections(), 1_000).unref();
    }
    await closed;
  };

  await listen();

  const sim: ComfySimulator = {
    get url() {
      return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    },
    get port() {
      return port;
    },
    close: () => {
      closing ??= shutdown(false).finally(() => {
        closing = undefined;
      });
      return closing;
    },
    crash: () => shutdown(true),
    restart: async () => {
      if (server) await shutdown(true);
      startExecutor();
      await listen();
    },
    dropConnections: () => {
      for (const c of clients.values()) c.ws.terminate();
      clients.clear();
    },
    failNext: (rule = {}) => executor.failNext(rule),
    setTiming: (t) => {
      if (t.stepMs !== undefined) timing.stepMs = t.stepMs;
      if (t.nodeMs !== undefined) timing.nodeMs = t.nodeMs;
    },
    queueRemaining: () => executor.queueRemaining(),
    connectionCount: () => clients.size,
    on: (event, listener) => {
      events.on(event, listener);
    },
    off: (event, listener) => {
      events.off(event, listener);
    },
    waitForPrompt: (promptId) =>
      new Promise<string>((resolve) => {
        const entry = executor.historyEntries().get(promptId);
        if (entry) return resolve(entry.status.status_str);
        const onFinished = (id: string, status?: string): void => {
          if (id !== promptId) return;
          events.off('finished', onFinished);
          resolve(status ?? 'unknown');
        };
        events.on('finished', onFinished);
      }),
  };
  return sim;
}
