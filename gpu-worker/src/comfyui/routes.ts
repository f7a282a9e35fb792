// ComfyUI's HTTP routes, one typed function each: POST /prompt, /history, /view, /upload/image, /interrupt,
// /queue, /object_info and /system_stats. An unreachable server fails with ComfyConnectionError, an
// unexpected answer with ComfyHttpError, a refused graph with ComfyValidationError.
import { ComfyConnectionError, ComfyHttpError, ComfyValidationError } from './errors.ts';
import type { ComfyFileRef, ComfyGraph, ComfyNodeError, ComfyPromptErrorBody, HistoryEntry, ObjectInfo, QueueEntry, QueueState, SystemStats } from './types.ts';

export interface ComfyRoutesOptions {
  /** http(s)://host:port of the ComfyUI instance. */
  baseUrl: string;
  /** The fetch to use (tests, instrumentation). Default: globalThis.fetch. */
  fetch?: typeof fetch;
  /** Time limit of a request. Default 30 s (uploads: at least 2 min). */
  requestTimeoutMs?: number;
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

export type ViewFile = Pick<ComfyFileRef, 'filename'> & Partial<Pick<ComfyFileRef, 'subfolder' | 'type'>>;

export interface UploadOptions {
  overwrite?: boolean;
  subfolder?: string;
  type?: 'input' | 'temp' | 'output';
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

export function createComfyRoutes(options: ComfyRoutesOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchFn = options.fetch ?? globalThis.fetch;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;

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

  return {
    baseUrl,

    /** POST /prompt: queues a graph; `clientId` is the websocket that hears its events. */
    async prompt(graph: ComfyGraph, clientId: string, submit: SubmitOptions = {}): Promise<SubmitResult> {
      const body: Record<string, unknown> = { prompt: graph, client_id: clientId };
      if (submit.promptId !== undefined) body.prompt_id = submit.promptId;
      if (submit.extraData) body.extra_data = submit.extraData;
      if (submit.front) body.front = true;
      if (submit.partialExecutionTargets) body.partial_execution_targets = submit.partialExecutionTargets;
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
      return { promptId: ok.prompt_id, number: Number(ok.number), nodeErrors: ok.node_errors ?? {} };
    },

    /** GET /history/{id}: how a prompt ended, or undefined while it is queued or running (or unknown). */
    async history(promptId: string): Promise<HistoryEntry | undefined> {
      const body = await getJson<Record<string, HistoryEntry>>(`/history/${encodeURIComponent(promptId)}`, 'GET /history/{id}');
      return body[promptId];
    },

    async view(file: ViewFile): Promise<Uint8Array> {
      const params = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder ?? '', type: file.type ?? 'output' });
      const res = await expectOk(await request('GET', `/view?${params.toString()}`), 'GET /view');
      return new Uint8Array(await res.arrayBuffer());
    },

    /**
     * POST /upload/image. Resolves with the value to give a LoadImage `image` input: the name ComfyUI stored the
     * file under (it renames on a clash with different content: `name (1).png`), prefixed by the subfolder if any.
     */
    async uploadImage(bytes: Uint8Array, name: string, upload: UploadOptions = {}): Promise<string> {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(bytes)]), name);
      form.append('overwrite', upload.overwrite ? 'true' : 'false');
      form.append('type', upload.type ?? 'input');
      if (upload.subfolder) form.append('subfolder', upload.subfolder);
      const res = await expectOk(await request('POST', '/upload/image', { body: form, timeoutMs: Math.max(requestTimeoutMs, 120_000) }), 'POST /upload/image');
      const body = (await res.json()) as { name: string; subfolder?: string; type?: string };
      return body.subfolder ? `${body.subfolder}/${body.name}` : body.name;
    },

    /** Interrupts `promptId` if it is the one running (no effect otherwise); without an id, whatever runs. */
    interrupt: (promptId?: string): Promise<void> => post('/interrupt', promptId === undefined ? {} : { prompt_id: promptId }),

    /** Removes prompts that have not started yet (a running one is not touched: interrupt it). */
    deleteQueued: (promptIds: string[]): Promise<void> => post('/queue', { delete: promptIds }),

    async queue(): Promise<QueueState> {
      const body = await getJson<{ queue_running?: unknown[]; queue_pending?: unknown[] }>('/queue');
      const rows = (list: unknown[] | undefined): QueueEntry[] => (list ?? []).map(parseQueueRow).filter((e): e is QueueEntry => e !== undefined);
      return { running: rows(body.queue_running), pending: rows(body.queue_pending) };
    },

    objectInfo: (nodeClass?: string): Promise<ObjectInfo> =>
      nodeClass === undefined ? getJson<ObjectInfo>('/object_info') : getJson<ObjectInfo>(`/object_info/${encodeURIComponent(nodeClass)}`, 'GET /object_info/{class}'),

    systemStats: (): Promise<SystemStats> => getJson<SystemStats>('/system_stats'),
  };
}

export type ComfyRoutes = ReturnType<typeof createComfyRoutes>;
