// A typed client for one ComfyUI instance (the sidecar behind a typed client: services never call fetch).
//
// HTTP: submit (POST /prompt), history, view, uploadImage, interrupt, deleteQueued/clearQueue, queue,
// objectInfo, systemStats. Websocket: one per client (`/ws?clientId=`), announcing preview-metadata support,
// parsed into typed events, reconnected with backoff. waitForPrompt follows one prompt to its end and
// survives a dropped websocket by asking /history and /queue what became of the prompt meanwhile.
import { randomUUID } from 'node:crypto';
import WebSocket, { type RawData } from 'ws';
import {
  ComfyClientClosedError,
  ComfyConnectionError,
  ComfyExecutionError,
  ComfyHttpError,
  ComfyInterruptedError,
  ComfyPromptLostError,
  ComfyValidationError,
  type ComfyError,
} from './errors.ts';
import { parseBinaryMessage, parseTextMessage, promptIdOf } from './events.ts';
import type {
  ComfyClientEvent,
  ComfyEvent,
  ComfyFileRef,
  ComfyGraph,
  ComfyNodeError,
  ComfyNodeOutput,
  ComfyPromptErrorBody,
  ExecutionErrorData,
  ExecutionInterruptedData,
  HistoryEntry,
  ObjectInfo,
  QueueEntry,
  QueueState,
  SystemStats,
} from './types.ts';

export * from './errors.ts';
export * from './types.ts';
export { parseBinaryMessage, parseTextMessage, promptIdOf } from './events.ts';
export { checkRequirements, describeRequirements, inspectRequirements, type InvalidValue, type MissingModel, type MissingNode, type RequirementsReport } from './requirements.ts';

export interface ComfyClientOptions {
  /** http(s)://host:port of the ComfyUI instance. */
  baseUrl: string;
  /** The websocket's client id, also sent as client_id with every prompt. Default: a random one. */
  clientId?: string;
  /** The fetch to use (tests, instrumentation). Default: globalThis.fetch. */
  fetch?: typeof fetch;
  /** Time limit of an HTTP request. Default 30 s (uploads: 2 min). */
  requestTimeoutMs?: number;
  /** Reconnection backoff: first delay and ceiling. Default 250 ms → 5 s. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /**
   * How long the websocket may stay down before whoever waits on it (waitForPrompt, connect, submit) fails
   * with ComfyConnectionError, so that a job can go to another instance. Reconnection goes on after.
   * Default 30 s.
   */
  reconnectGraceMs?: number;
  /** How long connect() (and so submit) waits for the websocket to open before failing. Default 10 s. */
  connectTimeoutMs?: number;
  /** Ask for previews with metadata (binary type 4, which carry the prompt id). Default true. */
  previewMetadata?: boolean;
  logger?: { warn: (message: string) => void; debug?: (message: string) => void };
}

export interface SubmitOptions {
  /** A caller-chosen prompt id (ComfyUI honours it); default: ComfyUI picks a UUID. */
  promptId?: string;
  /** Sent as extra_data: `preview_method` (`auto`, `latent2rgb`, `taesd`, `none`) turns previews on. */
  extraData?: { preview_method?: 'auto' | 'latent2rgb' | 'taesd' | 'none' | 'default'; extra_pnginfo?: Record<string, unknown>; [key: string]: unknown };
  /** Queue at the front. */
  front?: boolean;
  /** Run only these output nodes. */
  partialExecutionTargets?: string[];
}

export interface SubmitResult {
  promptId: string;
  number: number;
  /** Errors of output nodes left out while others were valid (ComfyUI runs the valid ones). */
  nodeErrors: Record<string, ComfyNodeError>;
}

export interface PromptProgress {
  promptId: string;
  /** The node reporting progress (a sampler: steps). */
  node: string;
  value: number;
  max: number;
}

export interface PromptPreview {
  promptId: string;
  node: string | undefined;
  mimeType: string;
  image: Uint8Array;
  binaryType: 1 | 4;
}

export interface WaitOptions {
  /** Each `progress` message (sampler steps), in order. */
  onProgress?: (progress: PromptProgress) => void;
  /** Each preview frame (when the prompt was submitted with extraData.preview_method): the image, its type, and where it came from. */
  onPreview?: (image: Uint8Array, mimeType: string, preview: PromptPreview) => void;
  /** Execution started (`execution_start`), with the nodes ComfyUI takes from its cache. */
  onStart?: (start: { promptId: string }) => void;
  /** A node started running (`executing`). */
  onNode?: (node: { promptId: string; node: string }) => void;
  signal?: AbortSignal;
}

/** A file an output node wrote, flattened from the outputs. */
export interface OutputFile extends ComfyFileRef {
  nodeId: string;
  /** The output key it came under: `images`, `gifs`, `audio`… (ComfyUI puts videos under `images`). */
  kind: string;
  /** True for animated images and videos (`animated: [true]` beside them). */
  animated: boolean;
}

export interface PromptResult {
  promptId: string;
  outputs: Record<string, ComfyNodeOutput>;
  files: OutputFile[];
  /** Nodes ComfyUI took from its cache (all of them for an identical resubmission). */
  cachedNodes: string[];
  /** Where the result was read: live websocket events, or /history after a reconnect. */
  source: 'websocket' | 'history';
  /** ComfyUI's timestamps (ms), when known. */
  startedAt?: number;
  finishedAt?: number;
}


export interface ComfyClient {
  readonly baseUrl: string;
  readonly clientId: string;
  /** Whether the websocket is open now. */
  readonly connected: boolean;
  /** Opens the websocket (if not open) and resolves when it is; fails after reconnectGraceMs. */
  connect(): Promise<void>;
  submit(graph: ComfyGraph, options?: SubmitOptions): Promise<SubmitResult>;
  /**
   * Follows a prompt to its end and resolves with its outputs (node id → UI output, as `executed` and /history
   * give them). Rejects with ComfyExecutionError, ComfyInterruptedError, ComfyPromptLostError (deleted from the
   * queue, or the server restarted), ComfyConnectionError (the websocket stayed down past reconnectGraceMs),
   * or the signal's reason.
   */
  waitForPrompt(promptId: string, options?: WaitOptions): Promise<Record<string, ComfyNodeOutput>>;
  /** waitForPrompt with more: the files flattened, the cached nodes, where the result was read, timestamps. */
  waitForResult(promptId: string, options?: WaitOptions): Promise<PromptResult>;
  /** submit + waitForResult. */
  run(graph: ComfyGraph, options?: SubmitOptions & WaitOptions): Promise<PromptResult & { number: number }>;
  /** Every websocket event (and the client's connection events) until the signal aborts or the client closes. */
  events(options?: { signal?: AbortSignal }): AsyncIterableIterator<ComfyClientEvent>;
  /** Calls `listener` with every event; returns the unsubscribe function. */
  subscribe(listener: (event: ComfyClientEvent) => void): () => void;
  history(promptId: string): Promise<HistoryEntry | undefined>;
  view(file: Pick<ComfyFileRef, 'filename'> & Partial<Pick<ComfyFileRef, 'subfolder' | 'type'>>): Promise<Uint8Array>;
  /**
   * POST /upload/image. Resolves with the value to give a LoadImage `image` input: the name ComfyUI stored the
   * file under (it renames on a clash with different content: `name (1).png`), prefixed by the subfolder if any.
   */
  uploadImage(bytes: Uint8Array, name: string, options?: { overwrite?: boolean; subfolder?: string; type?: 'input' | 'temp' | 'output' }): Promise<string>;
  /** Interrupts `promptId` if it is the one running (no effect otherwise); without an id, whatever runs. */
  interrupt(promptId?: string): Promise<void>;
  /** Removes prompts that have not started yet (a running one is not touched: interrupt it). */
  deleteQueued(promptIds: string[]): Promise<void>;
  clearQueue(): Promise<void>;
  queue(): Promise<QueueState>;
  objectInfo(nodeClass?: string): Promise<ObjectInfo>;
  systemStats(): Promise<SystemStats>;
  close(): Promise<void>;
}

type Terminal =
  | { kind: 'success'; timestamp?: number; source: 'websocket' | 'history' }
  | { kind: 'error'; data: ExecutionErrorData }
  | { kind: 'interrupted'; data: ExecutionInterruptedData };

interface Tracked {
  promptId: string;
  started: boolean;
  startedAt?: number;
  cachedNodes: string[];
  outputs: Record<string, ComfyNodeOutput>;
  terminal?: Terminal;
  outputsFromHistory?: Record<string, ComfyNodeOutput>;
  /** Progress events of a prompt this client submitted, kept until someone waits on it (submit, then wait). */
  backlog?: ComfyEvent[];
}

interface Waiter {
  options: WaitOptions;
  resolve: (r: PromptResult) => void;
  reject: (e: unknown) => void;
}

const MAX_TRACKED = 1000;

/** The files in a prompt's outputs, with the node and output key they came from. */
export function outputFiles(outputs: Record<string, ComfyNodeOutput>): OutputFile[] {
  const files: OutputFile[] = [];
  for (const [nodeId, out] of Object.entries(outputs)) {
    if (!out || typeof out !== 'object') continue;
    const animated = Array.isArray(out.animated) && out.animated[0] === true;
    for (const [kind, items] of Object.entries(out)) {
      if (kind === 'animated' || !Array.isArray(items)) continue;
      for (const item of items) {
        if (item && typeof item === 'object' && typeof (item as ComfyFileRef).filename === 'string') {
          const ref = item as ComfyFileRef;
          files.push({ ...ref, subfolder: ref.subfolder ?? '', type: ref.type ?? 'output', nodeId, kind, animated });
        }
      }
    }
  }
  return files;
}

function parseQueueRow(row: unknown): QueueEntry | undefined {
  if (!Array.isArray(row) || row.length < 3) return undefined;
  return {
    number: Number(row[0]),
    promptId: String(row[1]),
    graph: (row[2] ?? {}) as ComfyGraph,
    extraData: (row[3] ?? {}) as Record<string, unknown>,
    outputsToExecute: Array.isArray(row[4]) ? row[4].map(String) : [],
  };
}

export function createComfyClient(options: ComfyClientOptions): ComfyClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const clientId = options.clientId ?? randomUUID().replaceAll('-', '');
  const fetchFn = options.fetch ?? globalThis.fetch;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const initialDelay = options.reconnect?.initialDelayMs ?? 250;
  const maxDelay = options.reconnect?.maxDelayMs ?? 5_000;
  const graceMs = options.reconnectGraceMs ?? 30_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const previewMetadata = options.previewMetadata ?? true;
  const log = options.logger;
  const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(clientId)}`;

  let ws: WebSocket | undefined;
  let isOpen = false;
  let wanted = false;
  let closed = false;
  /** Counts successful openings: a prompt submitted in the current epoch has had every event delivered. */
  let epoch = 0;
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let lastQueueRemaining: number | undefined;
  let queueCheckTimer: NodeJS.Timeout | undefined;
  /** The prompt this client's socket last saw start, for messages that do not name theirs (binary type 1). */
  let currentPromptId: string | undefined;
  const openWaiters = new Set<{ resolve: () => void; reject: (e: unknown) => void }>();
  const listeners = new Set<(event: ComfyClientEvent) => void>();
  const tracked = new Map<string, Tracked>();
  const waiters = new Map<string, Set<Waiter>>();
  const submittedIn = new Map<string, number>();
  /** Ends open event iterators when the client closes. */
  const closeHooks = new Set<() => void>();

  // --- HTTP -------------------------------------------------------------------------------------------------

  async function request(method: string, path: string, init: { json?: unknown; body?: BodyInit; timeoutMs?: number } = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    let body = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    try {
      return await fetchFn(`${baseUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(init.timeoutMs ?? requestTimeoutMs) });
    } catch (err) {
      throw new ComfyConnectionError(baseUrl, `cannot reach ComfyUI at ${baseUrl} (${method} ${path}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  async function expectOk(res: Response, route: string): Promise<Response> {
    if (res.ok) return res;
    throw new ComfyHttpError(baseUrl, route, res.status, await res.text().catch(() => ''));
  }

  async function getJson<T>(path: string, route = `GET ${path}`): Promise<T> {
    const res = await expectOk(await request('GET', path), route);
    try {
      return (await res.json()) as T;
    } catch (err) {
      throw new ComfyHttpError(baseUrl, route, res.status, `not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async function post(path: string, json: unknown): Promise<void> {
    const res = await expectOk(await request('POST', path, { json }), `POST ${path}`);
    await res.arrayBuffer().catch(() => undefined);
  }

  // --- events -----------------------------------------------------------------------------------------------

  function emit(event: ComfyClientEvent): void {
    for (const l of listeners) {
      try {
        l(event);
      } catch (err) {
        log?.warn(`ComfyUI event listener threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  function track(promptId: string): Tracked {
    let t = tracked.get(promptId);
    if (!t) {
      t = { promptId, started: false, cachedNodes: [], outputs: {} };
      tracked.set(promptId, t);
      if (tracked.size > MAX_TRACKED) {
        for (const [id, old] of tracked) {
          if (tracked.size <= MAX_TRACKED) break;
          if (old.terminal && !waiters.has(id)) tracked.delete(id);
        }
      }
    }
    return t;
  }

  const BACKLOG_MAX = 2000;

  /** Prompts with a backlog, oldest first (a few: those submitted and not waited on yet). */
  const backlogged: string[] = [];

  /**
   * Keeps a progress event of a prompt nobody waits on yet, for the waiter to come: a prompt's first events
   * may arrive before the answer to its POST /prompt, and so before waitForPrompt can be called.
   */
  function keep(promptId: string, event: ComfyEvent): void {
    if (waiters.has(promptId)) return;
    const t = track(promptId);
    if (!t.backlog) {
      t.backlog = [];
      backlogged.push(promptId);
      while (backlogged.length > 32) {
        const old = tracked.get(backlogged.shift() as string);
        if (old) old.backlog = undefined;
      }
    }
    // Of the previews, only the latest is worth showing late.
    if (event.type === 'preview') t.backlog = t.backlog.filter((e) => e.type !== 'preview');
    if (t.backlog.length < BACKLOG_MAX) t.backlog.push(event);
  }

  /** Calls a new waiter's callbacks with what happened before it came. */
  function replayBacklog(promptId: string, waiter: Waiter): void {
    const t = tracked.get(promptId);
    const backlog = t?.backlog;
    if (!t || !backlog) return;
    t.backlog = undefined;
    for (const event of backlog) deliver(promptId, event, [waiter]);
  }

  /** The wait callbacks an event calls. */
  function deliver(promptId: string, event: ComfyEvent, to: Iterable<Waiter>): void {
    for (const w of to) {
      try {
        const o = w.options;
        if (event.type === 'execution_start') o.onStart?.({ promptId });
        else if (event.type === 'executing' && event.data.node !== null) o.onNode?.({ promptId, node: event.data.node });
        else if (event.type === 'progress') o.onProgress?.({ promptId, node: event.data.node ?? '', value: event.data.value, max: event.data.max });
        else if (event.type === 'preview') o.onPreview?.(event.image, event.mimeType, { promptId, node: event.metadata?.node_id, mimeType: event.mimeType, image: event.image, binaryType: event.binaryType });
      } catch (err) {
        log?.warn(`ComfyUI wait callback threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }



  function resultOf(t: Tracked, terminal: Extract<Terminal, { kind: 'success' }>): PromptResult {
    const outputs = terminal.source === 'history' ? (t.outputsFromHistory ?? t.outputs) : t.outputs;
    return {
      promptId: t.promptId,
      outputs,
      files: outputFiles(outputs),
      cachedNodes: t.cachedNodes,
      source: terminal.source,
      ...(t.startedAt !== undefined ? { startedAt: t.startedAt } : {}),
      ...(terminal.timestamp !== undefined ? { finishedAt: terminal.timestamp } : {}),
    };
  }

  function errorOf(terminal: Exclude<Terminal, { kind: 'success' }>): ComfyError {
    return terminal.kind === 'error' ? new ComfyExecutionError(baseUrl, terminal.data) : new ComfyInterruptedError(baseUrl, terminal.data);
  }

  function settle(promptId: string): void {
    const t = tracked.get(promptId);
    if (!t?.terminal) return;
    t.backlog = undefined;
    const ws_ = waiters.get(promptId);
    if (!ws_) return;
    waiters.delete(promptId);
    const terminal = t.terminal;
    for (const w of ws_) {
      if (terminal.kind === 'success') w.resolve(resultOf(t, terminal));
      else w.reject(errorOf(terminal));
    }
  }

  function onEvent(event: ComfyEvent): void {
    const pid = promptIdOf(event);
    switch (event.type) {
      case 'status': {
        const remaining = event.data.status.exec_info.queue_remaining;
        // Fewer prompts than before: one ended or was deleted. A waited-for prompt that never started may be gone.
        if (lastQueueRemaining !== undefined && remaining < lastQueueRemaining) scheduleQueueCheck();
        lastQueueRemaining = remaining;
        break;
      }
      case 'execution_start': {
        const t = track(event.data.prompt_id);
        t.started = true;
        t.startedAt = event.data.timestamp;
        currentPromptId = t.promptId;
        keep(t.promptId, event);
        deliver(t.promptId, event, waiters.get(t.promptId) ?? []);
        break;
      }
      case 'execution_cached':
        track(event.data.prompt_id).cachedNodes = [...event.data.nodes];
        break;
      case 'executing': {
        const id = pid ?? currentPromptId;
        if (event.data.node === null) {
          if (currentPromptId === id) currentPromptId = undefined;
        } else if (id) {
          keep(id, event);
          deliver(id, event, waiters.get(id) ?? []);
        }
        break;
      }
      case 'progress': {
        const id = pid ?? currentPromptId;
        if (id) {
          keep(id, event);
          deliver(id, event, waiters.get(id) ?? []);
        }
        break;
      }
      case 'preview': {
        const id = pid ?? currentPromptId;
        if (id) {
          keep(id, event);
          deliver(id, event, waiters.get(id) ?? []);
        }
        break;
      }
      case 'executed':
        if (event.data.output) track(event.data.prompt_id).outputs[event.data.node] = event.data.output;
        break;
      case 'execution_success': {
        const t = track(event.data.prompt_id);
        t.terminal = { kind: 'success', timestamp: event.data.timestamp, source: 'websocket' };
        settle(t.promptId);
        break;
      }
      case 'execution_error': {
        const t = track(event.data.prompt_id);
        t.terminal = { kind: 'error', data: event.data };
        settle(t.promptId);
        break;
      }
      case 'execution_interrupted': {
        const t = track(event.data.prompt_id);
        t.terminal = { kind: 'interrupted', data: event.data };
        settle(t.promptId);
        break;
      }
      default:
        break;
    }
    emit(event);
  }

  // --- recovering a prompt's state over HTTP ----------------------------------------------------------------

  function applyHistory(promptId: string, entry: HistoryEntry): boolean {
    const status = entry.status;
    const t = track(promptId);
    if (t.terminal) return true;
    const messages = status?.messages ?? [];
    const find = (name: string): Record<string, unknown> | undefined => messages.find(([n]) => n === name)?.[1];
    const start = find('execution_start');
    if (start && typeof start.timestamp === 'number') t.startedAt ??= start.timestamp;
    const cached = find('execution_cached');
    if (cached && Array.isArray(cached.nodes)) t.cachedNodes = cached.nodes.map(String);
    if (status?.status_str === 'success' || (status === undefined && Object.keys(entry.outputs ?? {}).length > 0)) {
      const done = find('execution_success');
      t.outputsFromHistory = entry.outputs ?? {};
      t.terminal = { kind: 'success', timestamp: typeof done?.timestamp === 'number' ? done.timestamp : undefined, source: 'history' };
      return true;
    }
    if (status?.status_str === 'error' || status?.completed === false) {
      const error = find('execution_error');
      const interrupted = find('execution_interrupted');
      if (error) t.terminal = { kind: 'error', data: { ...(error as unknown as ExecutionErrorData), prompt_id: promptId, executed: Array.isArray(error.executed) ? error.executed.map(String) : [] } };
      else if (interrupted) t.terminal = { kind: 'interrupted', data: { ...(interrupted as unknown as ExecutionInterruptedData), prompt_id: promptId, executed: Array.isArray(interrupted.executed) ? interrupted.executed.map(String) : [] } };
      else t.terminal = { kind: 'error', data: { prompt_id: promptId, node_id: '', node_type: '', executed: [], exception_message: `failed (${status?.status_str ?? 'no status'})`, exception_type: 'unknown', traceback: [], current_inputs: {}, current_outputs: [] } };
      return true;
    }
    return false;
  }

  /** Finds out over HTTP what became of a prompt: finished (settle), queued or running (wait on), or gone. */
  async function recover(promptId: string): Promise<void> {
    try {
      const first = await history(promptId);
      if (first && applyHistory(promptId, first)) return settle(promptId);
      const q = await queue();
      if ([...q.running, ...q.pending].some((e) => e.promptId === promptId)) return;
      if (tracked.get(promptId)?.terminal) return settle(promptId);
      // It may have finished between the two requests.
      const second = await history(promptId);
      if (second && applyHistory(promptId, second)) return settle(promptId);
      if (tracked.get(promptId)?.terminal) return settle(promptId);
      const set = waiters.get(promptId);
      if (!set) return;
      waiters.delete(promptId);
      const err = new ComfyPromptLostError(baseUrl, promptId, 'it is not queued, not running and not in the history (deleted from the queue, or ComfyUI restarted)');
      for (const w of set) w.reject(err);
    } catch (err) {
      log?.warn(`could not recover prompt ${promptId} from ${baseUrl}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  function scheduleQueueCheck(): void {
    if (queueCheckTimer) return;
    queueCheckTimer = setTimeout(() => {
      queueCheckTimer = undefined;
      for (const id of waiters.keys()) {
        const t = tracked.get(id);
        if (!t?.started && !t?.terminal) void recover(id);
      }
    }, 100);
    queueCheckTimer.unref();
  }

  // --- websocket --------------------------------------------------------------------------------------------

  function failWaitersForConnection(): void {
    const err = new ComfyConnectionError(baseUrl, `lost the websocket to ComfyUI at ${baseUrl} and could not reconnect within ${graceMs} ms`);
    for (const w of openWaiters) w.reject(err);
    openWaiters.clear();
    const all = [...waiters.values()];
    waiters.clear();
    for (const set of all) for (const w of set) w.reject(err);
  }

  function startGrace(): void {
    if (graceTimer || closed) return;
    graceTimer = setTimeout(() => {
      graceTimer = undefined;
      if (!isOpen) failWaitersForConnection();
    }, graceMs);
    graceTimer.unref();
  }

  function scheduleReconnect(): void {
    if (closed || reconnectTimer) return;
    const delay = Math.min(maxDelay, initialDelay * 2 ** attempt) * (0.75 + Math.random() * 0.25);
    attempt++;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      openSocket();
    }, delay);
    reconnectTimer.unref();
  }

  function openSocket(): void {
    if (closed || ws) return;
    const socket = new WebSocket(wsUrl, { perMessageDeflate: false });
    ws = socket;
    socket.on('open', () => {
      if (ws !== socket) return;
      if (previewMetadata) socket.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
      isOpen = true;
      attempt = 0;
      epoch++;
      const reconnected = epoch > 1;
      if (graceTimer) {
        clearTimeout(graceTimer);
        graceTimer = undefined;
      }
      for (const w of openWaiters) w.resolve();
      openWaiters.clear();
      emit({ type: 'connection', state: 'open', sid: clientId, reconnected });
      if (reconnected) {
        log?.debug?.(`websocket to ${baseUrl} is back; recovering ${waiters.size} prompt(s)`);
        for (const id of waiters.keys()) void recover(id);
      }
    });
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (ws !== socket) return;
      const event = isBinary ? parseBinaryMessage(Array.isArray(data) ? data : data instanceof ArrayBuffer ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) : parseTextMessage(data.toString());
      onEvent(event);
    });
    socket.on('error', (err) => log?.debug?.(`websocket to ${baseUrl}: ${err.message}`));
    socket.on('close', (code, reason) => {
      if (ws !== socket) return;
      ws = undefined;
      const wasOpen = isOpen;
      isOpen = false;
      lastQueueRemaining = undefined;
      if (wasOpen) emit({ type: 'connection', state: 'closed', code, reason: reason.toString(), willReconnect: !closed });
      if (closed) return;
      startGrace();
      scheduleReconnect();
    });
  }

  function connect(): Promise<void> {
    if (closed) return Promise.reject(new ComfyClientClosedError(baseUrl));
    wanted = true;
    if (isOpen) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => {
      const opener = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        openWaiters.delete(opener);
        reject(new ComfyConnectionError(baseUrl, `cannot open the websocket to ComfyUI at ${baseUrl} (waited ${Math.min(connectTimeoutMs, graceMs)} ms)`));
      }, Math.min(connectTimeoutMs, graceMs));
      timer.unref();
      openWaiters.add(opener);
    });
    startGrace();
    if (!ws && !reconnectTimer) openSocket();
    return p;
  }

  // --- API --------------------------------------------------------------------------------------------------

  async function submit(graph: ComfyGraph, submitOptions: SubmitOptions = {}): Promise<SubmitResult> {
    await connect();
    const body: Record<string, unknown> = { prompt: graph, client_id: clientId };
    if (submitOptions.promptId !== undefined) {
      body.prompt_id = submitOptions.promptId;
      // A prompt id used again (a retry) starts afresh: forget how its earlier run ended.
      if (tracked.get(submitOptions.promptId)?.terminal) tracked.delete(submitOptions.promptId);
    }
    if (submitOptions.extraData) body.extra_data = submitOptions.extraData;
    if (submitOptions.front) body.front = true;
    if (submitOptions.partialExecutionTargets) body.partial_execution_targets = submitOptions.partialExecutionTargets;
    const epochAtSubmit = epoch;
    const res = await request('POST', '/prompt', { json: body });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (res.status === 400 && parsed && typeof parsed === 'object' && 'error' in parsed) {
      throw new ComfyValidationError(baseUrl, res.status, parsed as ComfyPromptErrorBody);
    }
    if (!res.ok) throw new ComfyHttpError(baseUrl, 'POST /prompt', res.status, text);
    const ok = parsed as { prompt_id?: unknown; number?: unknown; node_errors?: Record<string, ComfyNodeError> } | undefined;
    if (!ok || typeof ok.prompt_id !== 'string') throw new ComfyHttpError(baseUrl, 'POST /prompt', res.status, `unexpected answer: ${text.slice(0, 200)}`);
    // Events of this prompt reach this socket only if it was open all along; waitForPrompt checks that.
    if (isOpen && epoch === epochAtSubmit) submittedIn.set(ok.prompt_id, epoch);
    if (submittedIn.size > MAX_TRACKED) submittedIn.delete(submittedIn.keys().next().value as string);
    return { promptId: ok.prompt_id, number: Number(ok.number), nodeErrors: ok.node_errors ?? {} };
  }

  async function waitForResult(promptId: string, waitOptions: WaitOptions = {}): Promise<PromptResult> {
    const { signal } = waitOptions;
    signal?.throwIfAborted();
    await connect();
    signal?.throwIfAborted();
    const t = tracked.get(promptId);
    if (t?.terminal) {
      if (t.terminal.kind === 'success') return resultOf(t, t.terminal);
      throw errorOf(t.terminal);
    }
    return new Promise<PromptResult>((resolve, reject) => {
      const set = waiters.get(promptId) ?? new Set<Waiter>();
      waiters.set(promptId, set);
      const onAbort = (): void => {
        set.delete(waiter);
        if (set.size === 0 && waiters.get(promptId) === set) waiters.delete(promptId);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        options: waitOptions,
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      set.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      replayBacklog(promptId, waiter);
      // Events may have been missed (submitted elsewhere, or before a reconnect): ask what became of it.
      if (submittedIn.get(promptId) !== epoch) void recover(promptId);
    });
  }

  async function history(promptId: string): Promise<HistoryEntry | undefined> {
    const body = await getJson<Record<string, HistoryEntry>>(`/history/${encodeURIComponent(promptId)}`, 'GET /history/{id}');
    return body[promptId];
  }

  async function queue(): Promise<QueueState> {
    const body = await getJson<{ queue_running?: unknown[]; queue_pending?: unknown[] }>('/queue');
    const rows = (list: unknown[] | undefined): QueueEntry[] => (list ?? []).map(parseQueueRow).filter((e): e is QueueEntry => e !== undefined);
    return { running: rows(body.queue_running), pending: rows(body.queue_pending) };
  }

  function events(eventOptions: { signal?: AbortSignal } = {}): AsyncIterableIterator<ComfyClientEvent> {
    const buffer: ComfyClientEvent[] = [];
    let notify: (() => void) | undefined;
    let done = false;
    const finish = (): void => {
      done = true;
      unsubscribe();
      notify?.();
    };
    const unsubscribe = subscribe((e) => {
      buffer.push(e);
      notify?.();
    });
    eventOptions.signal?.addEventListener('abort', finish, { once: true });
    if (eventOptions.signal?.aborted) finish();
    closeHooks.add(finish);
    void connect().catch(() => undefined);
    const iterator: AsyncIterableIterator<ComfyClientEvent> = {
      async next() {
        for (;;) {
          const e = buffer.shift();
          if (e) return { value: e, done: false };
          if (done) return { value: undefined, done: true };
          await new Promise<void>((resolve) => {
            notify = resolve;
          });
          notify = undefined;
        }
      },
      async return() {
        finish();
        closeHooks.delete(finish);
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  function subscribe(listener: (event: ComfyClientEvent) => void): () => void {
    listeners.add(listener);
    if (!wanted) void connect().catch(() => undefined);
    return () => listeners.delete(listener);
  }

  const client: ComfyClient = {
    baseUrl,
    clientId,
    get connected() {
      return isOpen;
    },
    connect,
    submit,
    waitForPrompt: async (promptId, waitOptions) => (await waitForResult(promptId, waitOptions)).outputs,
    waitForResult,
    async run(graph, runOptions = {}) {
      const { promptId, extraData, front, partialExecutionTargets, ...wait } = runOptions;
      const submitted = await submit(graph, { promptId, extraData, front, partialExecutionTargets });
      const result = await waitForResult(submitted.promptId, wait);
      return { ...result, number: submitted.number };
    },
    events,
    subscribe,
    history,
    async view(file) {
      const params = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder ?? '', type: file.type ?? 'output' });
      const res = await expectOk(await request('GET', `/view?${params.toString()}`), 'GET /view');
      return new Uint8Array(await res.arrayBuffer());
    },
    async uploadImage(bytes, name, uploadOptions = {}) {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(bytes)]), name);
      form.append('overwrite', uploadOptions.overwrite ? 'true' : 'false');
      form.append('type', uploadOptions.type ?? 'input');
      if (uploadOptions.subfolder) form.append('subfolder', uploadOptions.subfolder);
      const res = await expectOk(await request('POST', '/upload/image', { body: form, timeoutMs: Math.max(requestTimeoutMs, 120_000) }), 'POST /upload/image');
      const body = (await res.json()) as { name: string; subfolder?: string; type?: string };
      return body.subfolder ? `${body.subfolder}/${body.name}` : body.name;
    },
    interrupt: (promptId) => post('/interrupt', promptId === undefined ? {} : { prompt_id: promptId }),
    deleteQueued: (promptIds) => post('/queue', { delete: promptIds }),
    clearQueue: () => post('/queue', { clear: true }),
    queue,
    objectInfo: (nodeClass) => getJson<ObjectInfo>(nodeClass === undefined ? '/object_info' : `/object_info/${encodeURIComponent(nodeClass)}`, nodeClass === undefined ? 'GET /object_info' : 'GET /object_info/{class}'),
    systemStats: () => getJson<SystemStats>('/system_stats'),
    async close() {
      if (closed) return;
      closed = true;
      for (const t of [reconnectTimer, graceTimer, queueCheckTimer]) if (t) clearTimeout(t);
      reconnectTimer = graceTimer = queueCheckTimer = undefined;
      const err = new ComfyClientClosedError(baseUrl);
      for (const w of openWaiters) w.reject(err);
      openWaiters.clear();
      const all = [...waiters.values()];
      waiters.clear();
      for (const set of all) for (const w of set) w.reject(err);
      for (const hook of closeHooks) hook();
      closeHooks.clear();
      const socket = ws;
      ws = undefined;
      isOpen = false;
      if (socket && socket.readyState !== WebSocket.CLOSED) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            socket.terminate();
            resolve();
          }, 1_000);
          timer.unref();
          socket.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
          else socket.close(1000);
        });
      }
      listeners.clear();
    },
  };
  return client;
}
