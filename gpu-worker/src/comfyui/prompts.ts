// The life of each prompt, from the websocket's events: started, progress and previews handed to whoever
// waits on it, then its end (outputs, a node error, an interrupt). When events may have been missed (the
// socket dropped, or the prompt was submitted elsewhere) its fate is read from /history and /queue; a prompt
// neither there nor queued is lost.
import { ComfyExecutionError, ComfyInterruptedError, ComfyPromptLostError, type ComfyError } from './errors.ts';
import { promptIdOf } from './events.ts';
import type { ComfyRoutes } from './routes.ts';
import type { ComfyClientEvent, ComfyEvent, ComfyFileRef, ComfyNodeOutput, ExecutionErrorData, ExecutionInterruptedData, HistoryEntry } from './types.ts';

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
  /** Execution started (`execution_start`). */
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
  /** Node id → UI output, as `executed` and /history give them. */
  outputs: Record<string, ComfyNodeOutput>;
  files: OutputFile[];
  /** Nodes ComfyUI took from its cache (all of them for an identical resubmission). */
  cachedNodes: string[];
  /** Where the result was read: live websocket events, or /history after events were missed. */
  source: 'websocket' | 'history';
  /** ComfyUI's timestamps (ms), when known. */
  startedAt?: number;
  finishedAt?: number;
}

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
  /** Progress events of a prompt nobody waits on yet, kept for the waiter to come (submit, then wait). */
  backlog?: ComfyEvent[];
}

interface Waiter {
  options: WaitOptions;
  resolve: (r: PromptResult) => void;
  reject: (e: unknown) => void;
}

const MAX_TRACKED = 1000;
const BACKLOG_MAX = 2000;
const MAX_BACKLOGGED = 32;

export function createPromptTracker(deps: {
  baseUrl: string;
  routes: Pick<ComfyRoutes, 'history' | 'queue'>;
  logger?: { warn: (message: string) => void; debug?: (message: string) => void };
}) {
  const { baseUrl, routes, logger: log } = deps;
  const tracked = new Map<string, Tracked>();
  const waiters = new Map<string, Set<Waiter>>();
  /** The socket epoch each prompt was submitted in, when its events were sure to reach this client. */
  const submittedIn = new Map<string, number>();
  /** Prompts with a backlog, oldest first (a few: those submitted and not waited on yet). */
  const backlogged: string[] = [];
  /** The prompt the socket last saw start, for messages that do not name theirs (binary type 1). */
  let currentPromptId: string | undefined;
  let lastQueueRemaining: number | undefined;
  let queueCheckTimer: NodeJS.Timeout | undefined;

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

  /**
   * Keeps a progress event of a prompt nobody waits on yet, for the waiter to come: a prompt's first events
   * may arrive before the answer to its POST /prompt, and so before anyone can wait on it.
   */
  function keep(promptId: string, event: ComfyEvent): void {
    if (waiters.has(promptId)) return;
    const t = track(promptId);
    if (!t.backlog) {
      t.backlog = [];
      backlogged.push(promptId);
      while (backlogged.length > MAX_BACKLOGGED) {
        const old = tracked.get(backlogged.shift() as string);
        if (old) old.backlog = undefined;
      }
    }
    // Of the previews, only the latest is worth showing late.
    if (event.type === 'preview') t.backlog = t.backlog.filter((e) => e.type !== 'preview');
    if (t.backlog.length < BACKLOG_MAX) t.backlog.push(event);
  }

  /** Calls the wait callbacks an event is for. */
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

  /** A progress event: kept for a waiter to come, and handed to those waiting. */
  function progressed(promptId: string, event: ComfyEvent): void {
    keep(promptId, event);
    deliver(promptId, event, waiters.get(promptId) ?? []);
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

  /** Gives an ended prompt's outcome to everyone waiting on it. */
  function settle(promptId: string): void {
    const t = tracked.get(promptId);
    if (!t?.terminal) return;
    t.backlog = undefined;
    const set = waiters.get(promptId);
    if (!set) return;
    waiters.delete(promptId);
    const terminal = t.terminal;
    for (const w of set) {
      if (terminal.kind === 'success') w.resolve(resultOf(t, terminal));
      else w.reject(errorOf(terminal));
    }
  }

  function end(promptId: string, terminal: Terminal): void {
    track(promptId).terminal = terminal;
    settle(promptId);
  }

  function rejectAll(error: unknown): void {
    const all = [...waiters.values()];
    waiters.clear();
    for (const set of all) for (const w of set) w.reject(error);
  }

  /** Reads the end of a prompt from its /history entry; false while it has none. */
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
      const executed = (data: Record<string, unknown>) => (Array.isArray(data.executed) ? data.executed.map(String) : []);
      if (error) t.terminal = { kind: 'error', data: { ...(error as unknown as ExecutionErrorData), prompt_id: promptId, executed: executed(error) } };
      else if (interrupted) t.terminal = { kind: 'interrupted', data: { ...(interrupted as unknown as ExecutionInterruptedData), prompt_id: promptId, executed: executed(interrupted) } };
      else t.terminal = { kind: 'error', data: { prompt_id: promptId, node_id: '', node_type: '', executed: [], exception_message: `failed (${status?.status_str ?? 'no status'})`, exception_type: 'unknown', traceback: [], current_inputs: {}, current_outputs: [] } };
      return true;
    }
    return false;
  }

  /** Finds out over HTTP what became of a prompt: finished (settle), queued or running (wait on), or gone. */
  async function recover(promptId: string): Promise<void> {
    try {
      const first = await routes.history(promptId);
      if (first && applyHistory(promptId, first)) return settle(promptId);
      const q = await routes.queue();
      if ([...q.running, ...q.pending].some((e) => e.promptId === promptId)) return;
      if (tracked.get(promptId)?.terminal) return settle(promptId);
      // It may have finished between the two requests.
      const second = await routes.history(promptId);
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

  /**
   * The queue shrank: a waited-for prompt that never started may have been deleted from it. One read of the
   * queue clears every prompt still in it; only those missing from it are looked for in the history, rather
   * than three requests for each waiting prompt at every shrink.
   */
  function scheduleQueueCheck(): void {
    if (queueCheckTimer) return;
    queueCheckTimer = setTimeout(() => {
      queueCheckTimer = undefined;
      // Asked again once the queue answers: a prompt may have started or ended meanwhile.
      const unstarted = () => [...waiters.keys()].filter((id) => !tracked.get(id)?.started && !tracked.get(id)?.terminal);
      if (!unstarted().length) return;
      routes.queue().then(
        (q) => {
          const queued = new Set([...q.running, ...q.pending].map((entry) => entry.promptId));
          for (const id of unstarted()) if (!queued.has(id)) void recover(id);
        },
        (err: unknown) => log?.warn(`could not read the queue of ${baseUrl}: ${err instanceof Error ? err.message : String(err)}`),
      );
    }, 100);
    queueCheckTimer.unref();
  }

  function onEvent(event: ComfyClientEvent): void {
    switch (event.type) {
      case 'connection':
        if (event.state === 'closed') lastQueueRemaining = undefined;
        else if (event.reconnected) {
          log?.debug?.(`websocket to ${baseUrl} is back; recovering ${waiters.size} prompt(s)`);
          for (const id of waiters.keys()) void recover(id);
        }
        break;
      case 'status': {
        const remaining = event.data.status.exec_info.queue_remaining;
        if (lastQueueRemaining !== undefined && remaining < lastQueueRemaining) scheduleQueueCheck();
        lastQueueRemaining = remaining;
        break;
      }
      case 'execution_start': {
        const t = track(event.data.prompt_id);
        t.started = true;
        t.startedAt = event.data.timestamp;
        currentPromptId = t.promptId;
        progressed(t.promptId, event);
        break;
      }
      case 'execution_cached':
        track(event.data.prompt_id).cachedNodes = [...event.data.nodes];
        break;
      case 'executing': {
        const id = promptIdOf(event) ?? currentPromptId;
        if (event.data.node === null) {
          if (currentPromptId === id) currentPromptId = undefined;
        } else if (id) progressed(id, event);
        break;
      }
      case 'progress':
      case 'preview': {
        const id = promptIdOf(event) ?? currentPromptId;
        if (id) progressed(id, event);
        break;
      }
      case 'executed':
        if (event.data.output) track(event.data.prompt_id).outputs[event.data.node] = event.data.output;
        break;
      case 'execution_success':
        end(event.data.prompt_id, { kind: 'success', timestamp: event.data.timestamp, source: 'websocket' });
        break;
      case 'execution_error':
        end(event.data.prompt_id, { kind: 'error', data: event.data });
        break;
      case 'execution_interrupted':
        end(event.data.prompt_id, { kind: 'interrupted', data: event.data });
        break;
      default:
        break;
    }
  }

  return {
    onEvent,

    /** A prompt id about to be submitted again (a retry) is followed afresh: how its earlier run ended is forgotten. */
    forget(promptId: string): void {
      if (tracked.get(promptId)?.terminal) tracked.delete(promptId);
    },

    /** A prompt was submitted while the socket of `epoch` was open all along: its every event reaches this client. */
    submittedLive(promptId: string, epoch: number): void {
      submittedIn.set(promptId, epoch);
      if (submittedIn.size > MAX_TRACKED) submittedIn.delete(submittedIn.keys().next().value as string);
    },

    /**
     * Follows a prompt to its end. `epoch`: the socket's now; unless the prompt was submitted in it, events
     * may have been missed, so its state is read over HTTP too.
     */
    wait(promptId: string, options: WaitOptions, epoch: number): Promise<PromptResult> {
      const t = tracked.get(promptId);
      if (t?.terminal) return t.terminal.kind === 'success' ? Promise.resolve(resultOf(t, t.terminal)) : Promise.reject(errorOf(t.terminal));
      const { signal } = options;
      return new Promise<PromptResult>((resolve, reject) => {
        const set = waiters.get(promptId) ?? new Set<Waiter>();
        waiters.set(promptId, set);
        const onAbort = (): void => {
          set.delete(waiter);
          if (set.size === 0 && waiters.get(promptId) === set) waiters.delete(promptId);
          reject(signal?.reason);
        };
        const waiter: Waiter = {
          options,
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
        // What happened before the waiter came.
        const backlog = t?.backlog;
        if (t && backlog) {
          t.backlog = undefined;
          for (const event of backlog) deliver(promptId, event, [waiter]);
        }
        if (submittedIn.get(promptId) !== epoch) void recover(promptId);
      });
    },

    /** Fails every wait (the socket stayed down, or the client closed). */
    failAll: rejectAll,

    close(error: unknown): void {
      clearTimeout(queueCheckTimer);
      queueCheckTimer = undefined;
      rejectAll(error);
    },
  };
}

export type PromptTracker = ReturnType<typeof createPromptTracker>;
