// The prompt queue and the execution of one prompt at a time, sending what ComfyUI 0.8.0 sends and in the
// same order (main.py prompt_worker, execution.py PromptExecutor, comfy_execution/progress.py):
//
//   status (queued) · status (taken) · execution_start · execution_cached
//   per node: progress_state(running) · executing · [per step: progress_state · (binary 4) · progress · (binary 1)]
//             · [executed] · progress_state(finished)
//   execution_success | execution_interrupted | execution_error · status · executing {node: null}
//
// Prompt events go to the submitting client's socket only; without a client_id, execution_start, _cached,
// executing, executed, execution_success and _error reach nobody while progress, progress_state and
// execution_interrupted reach every socket — as recorded.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeCatalogue } from './catalogue.ts';
import { ExecutionList, inputSignatures, isLink, outputShape, samplerSteps, type Graph, type GraphNode } from './graph.ts';
import { previewJpeg } from './media.ts';
import { orderedKeys, orderedObject } from './ordered-json.ts';
import { produceOutputs, type NodeUi } from './outputs.ts';
import { pyJsonDumps, PyException } from './pyfmt.ts';
import { CORRUPT_CHECKPOINT, CORRUPT_MODEL_FILE, injectedException, OUT_OF_MEMORY, type SimulatedException } from './recorded.ts';
import type { FileStore } from './store.ts';

/** Make a prompt fail: at a node's start or at a sampler step, with an exception or out of memory. */
export interface FailRule {
  /** The node to fail by class (e.g. `KSampler`) or id. Neither: the prompt's first sampler (else its first node). */
  classType?: string;
  nodeId?: string;
  /** `error` (default): a Python exception; `oom`: torch.OutOfMemoryError as recorded. */
  kind?: 'error' | 'oom';
  /** Fail after this many sampler steps instead of at the node's start. */
  atStep?: number;
  message?: string;
  exceptionType?: string;
  /** How many prompts the rule fails before it is spent (default: all of them). */
  times?: number;
}

export interface QueueItem {
  number: number;
  promptId: string;
  prompt: Graph;
  extraData: Record<string, unknown>;
  outputs: string[];
}

export interface HistoryEntry {
  prompt: [number, string, Graph, Record<string, unknown>, string[]];
  outputs: Record<string, NodeUi>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: Array<[string, Record<string, unknown>]> };
  meta: Record<string, { node_id: string; display_node: string; parent_node: null; real_node_id: string }>;
}

export interface Hub {
  /** A text message to one socket (`sid`) or, with `sid` null, to every socket. */
  send(type: string, data: unknown, sid: string | null): void;
  /** A latent preview to one socket or all, framed as type 4 for clients that announced preview metadata, else type 1. */
  sendPreview(jpeg: Buffer, metadata: Record<string, unknown>, sid: string | null, phase: 'before-progress' | 'after-progress'): void;
}

export interface ExecutorOptions {
  stepMs: number;
  nodeMs: number;
  failOn: FailRule[];
}

interface CacheEntry {
  ui: NodeUi | undefined;
}

class Interrupted extends Error {}
class Stopped extends Error {}
class NodeFailure extends Error {
  readonly ex: SimulatedException;
  constructor(ex: SimulatedException) {
    super(ex.message);
    this.ex = ex;
  }
}

const PREVIEW_METHODS = new Set(['auto', 'latent2rgb', 'taesd']);
const MARKER = /\[sim:(error|oom)(?::([^\]]*))?\]/;
/** Latent pixels (width × height × batch) above which a sampler runs out of memory. */
const OOM_PIXELS = 2 ** 28;

export type ExecutorEvent = 'queued' | 'started' | 'finished' | 'idle';

export class Executor extends EventEmitter {
  readonly options: ExecutorOptions;
  private readonly hub: Hub;
  private readonly catalogue: NodeCatalogue;
  private readonly store: FileStore;
  private pending: QueueItem[] = [];
  private running: QueueItem | undefined;
  private readonly history = new Map<string, HistoryEntry>();
  private cache = new Map<string, CacheEntry>();
  private interruptFlag = false;
  private stopped = false;
  private readonly stop = new AbortController();
  private wake: (() => void) | undefined;
  private lastNodeId: string | null = null;
  private runningClient: string | null = null;
  private readonly loop: Promise<void>;
  private readonly injected: FailRule[] = [];

  constructor(deps: { hub: Hub; catalogue: NodeCatalogue; store: FileStore; options: ExecutorOptions }) {
    super();
    this.hub = deps.hub;
    this.catalogue = deps.catalogue;
    this.store = deps.store;
    this.options = deps.options;
    this.loop = this.run();
  }

  // --- queue ------------------------------------------------------------------------------------------------

  queueRemaining(): number {
    return this.pending.length + (this.running ? 1 : 0);
  }

  put(item: QueueItem): void {
    this.pending.push(item);
    this.pending.sort((a, b) => a.number - b.number);
    this.queueUpdated();
    this.emit('queued', item.promptId);
    this.wake?.();
  }

  queueState(): { running: QueueItem[]; pending: QueueItem[] } {
    return { running: this.running ? [this.running] : [], pending: [...this.pending] };
  }

  deletePending(promptId: string): boolean {
    const i = this.pending.findIndex((p) => p.promptId === promptId);
    if (i < 0) return false;
    this.pending.splice(i, 1);
    this.queueUpdated();
    return true;
  }

  clearPending(): void {
    this.pending = [];
    this.queueUpdated();
  }

  /** POST /interrupt: the running prompt stops at its next check (a sampler step or a node start). */
  interrupt(promptId?: string): void {
    if (promptId !== undefined && this.running?.promptId !== promptId) return;
    this.interruptFlag = true;
  }

  historyEntries(): Map<string, HistoryEntry> {
    return this.history;
  }

  deleteHistory(promptId: string): void {
    this.history.delete(promptId);
  }

  clearHistory(): void {
    this.history.clear();
  }

  /** POST /free with unload_models: forget cached node outputs, so the next run executes every node. */
  unloadModels(): void {
    this.cache.clear();
  }

  /** The node currently executing for `sid`, told again to a socket that reconnects with the same client id. */
  executingNodeFor(sid: string): string | null {
    return this.runningClient === sid ? this.lastNodeId : null;
  }

  failNext(rule: FailRule): void {
    this.injected.push({ times: 1, ...rule });
  }

  /** Stops at once: the running prompt is abandoned mid-way and the queue is dropped (a crash). */
  async halt(): Promise<void> {
    this.stopped = true;
    this.stop.abort();
    this.wake?.();
    await this.loop;
  }

  private queueUpdated(): void {
    this.hub.send('status', { status: { exec_info: { queue_remaining: this.queueRemaining() } } }, null);
  }

  private async pause(ms: number): Promise<void> {
    if (this.stopped) throw new Stopped();
    try {
      if (ms > 0) await sleep(ms, undefined, { signal: this.stop.signal });
      else await new Promise<void>((resolve) => setImmediate(resolve));
    } catch {
      throw new Stopped();
    }
    if (this.stopped) throw new Stopped();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const item = this.pending.shift();
      if (!item) {
        this.emit('idle');
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      this.running = item;
      this.queueUpdated();
      this.emit('started', item.promptId);
      let outcome: HistoryEntry | undefined;
      try {
        outcome = await this.execute(item);
      } catch (err) {
        if (err instanceof Stopped) return;
        throw err;
      }
      this.running = undefined;
      this.history.set(item.promptId, outcome);
      this.queueUpdated();
      const sid = clientOf(item);
      if (sid !== null) this.hub.send('executing', { node: null, prompt_id: item.promptId }, sid);
      this.emit('finished', item.promptId, outcome.status.status_str);
    }
  }

  // --- one prompt -------------------------------------------------------------------------------------------

  private async execute(item: QueueItem): Promise<HistoryEntry> {
    const { prompt, promptId } = item;
    const sid = clientOf(item);
    this.interruptFlag = false;
    this.runningClient = sid;
    const messages: Array<[string, Record<string, unknown>]> = [];
    const addMessage = (event: string, data: Record<string, unknown>, broadcast: boolean): void => {
      const full = { ...data, timestamp: Date.now() };
      messages.push([event, full]);
      if (sid !== null || broadcast) this.hub.send(event, full, sid);
    };
    addMessage('execution_start', { prompt_id: promptId }, false);

    const signatures = inputSignatures(prompt, (id, node) => this.isChanged(node));
    const used = new Set(signatures.values());
    for (const key of [...this.cache.keys()]) if (!used.has(key)) this.cache.delete(key);
    const cachedEntry = (id: string): CacheEntry | undefined => this.cache.get(signatures.get(id) ?? '');
    const cachedNodes = orderedKeys(prompt).filter((id) => cachedEntry(id) !== undefined);
    addMessage('execution_cached', { nodes: cachedNodes, prompt_id: promptId }, false);

    const progress = new Map<string, { state: 'running' | 'finished'; value: number; max: number }>();
    const sendProgressState = (): void => {
      const nodes = orderedObject(
        [...progress].map(([id, p]) => [id, { value: p.value, max: p.max, state: p.state, node_id: id, prompt_id: promptId, display_node_id: id, parent_node_id: null, real_node_id: id }] as const),
      );
      this.hub.send('progress_state', { prompt_id: promptId, nodes }, sid);
    };

    const isOutput = (id: string): boolean => this.catalogue.get(prompt[id]?.class_type ?? '')?.output_node === true;
    const list = new ExecutionList(prompt, {
      isCached: (id) => cachedEntry(id) !== undefined,
      isOutput,
      isLazy: (id, input) => {
        const def = this.catalogue.get(prompt[id]?.class_type ?? '');
        const spec = def?.input.required?.[input] ?? def?.input.optional?.[input];
        return spec?.[1]?.lazy === true;
      },
    });
    for (const o of item.outputs) list.addNode(o);

    const rules = this.rulesFor(item);
    const executed: string[] = [];
    const ui = new Map<string, NodeUi>();
    let failure: { nodeId: string; kind: 'interrupted' } | { nodeId: string; kind: 'error'; ex: SimulatedException } | undefined;

    while (!list.isEmpty()) {
      const id = list.stage();
      if (id === undefined) break;
      const node = prompt[id] as GraphNode;
      const hit = cachedEntry(id);
      if (hit) {
        if (sid !== null) this.hub.send('executed', { node: id, display_node: id, output: hit.ui ?? null, prompt_id: promptId }, sid);
        if (hit.ui) ui.set(id, hit.ui);
        progress.set(id, { state: 'finished', value: 1, max: 1 });
        sendProgressState();
        list.complete(id);
        continue;
      }
      progress.set(id, { state: 'running', value: 0, max: 1 });
      sendProgressState();
      if (sid !== null) {
        this.lastNodeId = id;
        this.hub.send('executing', { node: id, display_node: id, prompt_id: promptId }, sid);
      }
      try {
        const out = await this.runNode(item, id, node, rules, progress, sendProgressState, sid);
        if (out) {
          ui.set(id, out);
          if (sid !== null) this.hub.send('executed', { node: id, display_node: id, output: out, prompt_id: promptId }, sid);
        }
        this.cache.set(signatures.get(id) ?? id, { ui: out });
        const p = progress.get(id) ?? { state: 'finished', value: 1, max: 1 };
        progress.set(id, { state: 'finished', value: p.max, max: p.max });
        sendProgressState();
        executed.push(id);
        list.complete(id);
      } catch (err) {
        if (err instanceof Stopped) throw err;
        if (err instanceof Interrupted) failure = { nodeId: id, kind: 'interrupted' };
        else if (err instanceof NodeFailure) failure = { nodeId: id, kind: 'error', ex: err.ex };
        else if (err instanceof PyException) failure = { nodeId: id, kind: 'error', ex: { exceptionType: err.pyType, message: err.message, tips: '', traceback: [] } };
        // A fault of the simulator itself fails the prompt as a node error would, and the queue goes on.
        else failure = { nodeId: id, kind: 'error', ex: { exceptionType: 'simulator.InternalError', message: err instanceof Error ? err.message : String(err), tips: '', traceback: err instanceof Error && err.stack ? [err.stack] : [] } };
        break;
      }
    }
    this.lastNodeId = null;

    const entryPrompt: HistoryEntry['prompt'] = [item.number, promptId, prompt, item.extraData, item.outputs];
    if (failure) {
      const node = prompt[failure.nodeId] as GraphNode;
      if (failure.kind === 'interrupted') {
        addMessage('execution_interrupted', { prompt_id: promptId, node_id: failure.nodeId, node_type: node.class_type, executed }, true);
      } else {
        addMessage(
          'execution_error',
          {
            prompt_id: promptId,
            node_id: failure.nodeId,
            node_type: node.class_type,
            executed,
            exception_message: `${failure.ex.message}\n${failure.ex.tips}`,
            exception_type: failure.ex.exceptionType,
            traceback: failure.ex.traceback,
            current_inputs: this.currentInputs(prompt, failure.nodeId),
            current_outputs: orderedKeys(prompt),
          },
          false,
        );
      }
      return { prompt: entryPrompt, outputs: orderedObject([]), status: { status_str: 'error', completed: false, messages }, meta: orderedObject([]) };
    }
    addMessage('execution_success', { prompt_id: promptId }, false);
    const withUi = orderedKeys(prompt).filter((id) => ui.has(id));
    const outputs = orderedObject(withUi.map((id) => [id, ui.get(id) as NodeUi] as const));
    const meta: HistoryEntry['meta'] = orderedObject(withUi.map((id) => [id, { node_id: id, display_node: id, parent_node: null, real_node_id: id }] as const));
    return { prompt: entryPrompt, outputs, status: { status_str: 'success', completed: true, messages }, meta };
  }

  private async runNode(
    item: QueueItem,
    id: string,
    node: GraphNode,
    rules: FailRule[],
    progress: Map<string, { state: 'running' | 'finished'; value: number; max: number }>,
    sendProgressState: () => void,
    sid: string | null,
  ): Promise<NodeUi | undefined> {
    const { prompt, promptId } = item;
    await this.pause(this.options.nodeMs);
    this.checkInterrupt();

    if (Object.values(node.inputs ?? {}).some((v) => v === CORRUPT_MODEL_FILE)) throw new NodeFailure(CORRUPT_CHECKPOINT);
    const steps = samplerSteps(prompt, id, this.catalogue);
    const rule = this.takeRule(rules, prompt, id, node, steps !== undefined);
    if (rule && (rule.atStep === undefined || steps === undefined)) throw new NodeFailure(exceptionFor(rule));

    if (steps !== undefined) {
      const shape = outputShape(prompt, id, this.shapeDeps());
      if (shape.latentPixels > OOM_PIXELS) throw new NodeFailure(OUT_OF_MEMORY);
      const method = item.extraData.preview_method;
      const previews = typeof method === 'string' && PREVIEW_METHODS.has(method);
      for (let step = 1; step <= steps; step++) {
        await this.pause(this.options.stepMs);
        this.checkInterrupt();
        if (rule?.atStep !== undefined && step > rule.atStep) throw new NodeFailure(exceptionFor(rule));
        const jpeg = previews ? await previewJpeg(shape, step, steps) : undefined;
        this.checkStopped();
        progress.set(id, { state: 'running', value: step, max: steps });
        sendProgressState();
        const meta = { node_id: id, prompt_id: promptId, display_node_id: id, parent_node_id: null, real_node_id: id, image_type: 'image/jpeg' };
        if (jpeg) this.hub.sendPreview(jpeg, meta, sid, 'before-progress');
        this.hub.send('progress', { value: step, max: steps, prompt_id: promptId, node: id }, sid);
        if (jpeg) this.hub.sendPreview(jpeg, meta, sid, 'after-progress');
      }
    }

    const def = this.catalogue.get(node.class_type);
    if (!def?.output_node) return undefined;
    const shape = outputShape(prompt, id, this.shapeDeps());
    const out = await produceOutputs(
      {
        store: this.store,
        promptJson: pyJsonDumps(prompt),
        extraPngInfo: pngInfo(item.extraData.extra_pnginfo),
        upstreamFps: findUpstreamNumber(prompt, id, ['fps', 'frame_rate']),
      },
      node.class_type,
      node.inputs ?? {},
      shape,
    );
    this.checkStopped();
    return out;
  }

  private checkInterrupt(): void {
    this.checkStopped();
    if (this.interruptFlag) {
      this.interruptFlag = false;
      throw new Interrupted();
    }
  }

  private checkStopped(): void {
    if (this.stopped) throw new Stopped();
  }

  private shapeDeps(): Parameters<typeof outputShape>[2] {
    return {
      catalogue: this.catalogue,
      inputImageSize: (value) => {
        const f = this.store.resolveAnnotated(value);
        return f?.width && f.height ? { width: f.width, height: f.height } : undefined;
      },
    };
  }

  /** What ComfyUI's IS_CHANGED adds to a node's cache key: the content of the file a loader reads. */
  private isChanged(node: GraphNode): string {
    if (node.class_type === 'LoadImage' || node.class_type === 'LoadImageMask') {
      const v = node.inputs?.image;
      return typeof v === 'string' ? (this.store.resolveAnnotated(v)?.sha256 ?? '') : '';
    }
    return '';
  }

  /** Fault rules for this prompt: the simulator's, the injected ones, and markers written in the graph. */
  private rulesFor(item: QueueItem): FailRule[] {
    const rules = [...this.options.failOn, ...this.injected];
    for (const node of Object.values(item.prompt)) {
      for (const v of Object.values(node.inputs ?? {})) {
        if (typeof v !== 'string') continue;
        const m = MARKER.exec(v);
        if (m) rules.push({ kind: m[1] === 'oom' ? 'oom' : 'error', message: m[2] || `Simulated failure requested by the prompt (${m[0]})`, times: 1 });
      }
    }
    return rules;
  }

  private takeRule(rules: FailRule[], prompt: Graph, id: string, node: GraphNode, isSampler: boolean): FailRule | undefined {
    for (const rule of rules) {
      if ((rule.times ?? Infinity) <= 0) continue;
      let match: boolean;
      if (rule.nodeId !== undefined || rule.classType !== undefined) {
        match = (rule.nodeId === undefined || rule.nodeId === id) && (rule.classType === undefined || rule.classType === node.class_type);
      } else {
        const hasSampler = Object.keys(prompt).some((nid) => samplerSteps(prompt, nid, this.catalogue) !== undefined);
        match = hasSampler ? isSampler : true;
      }
      if (!match) continue;
      if (rule.times !== undefined) rule.times--;
      // Spent injected rules leave the list.
      const i = this.injected.indexOf(rule);
      if (i >= 0 && (rule.times ?? 0) <= 0) this.injected.splice(i, 1);
      return rule;
    }
    return undefined;
  }

  private currentInputs(prompt: Graph, id: string): Record<string, unknown[]> {
    const node = prompt[id] as GraphNode;
    const def = this.catalogue.get(node.class_type);
    const out: Record<string, unknown[]> = {};
    for (const [name, v] of Object.entries(node.inputs ?? {})) {
      if (!def?.input.required?.[name] && !def?.input.optional?.[name]) continue;
      if (isLink(v)) {
        const src = prompt[v[0]];
        const type = src ? this.catalogue.get(src.class_type)?.output[v[1]] : undefined;
        out[name] = [`<${type ?? 'output'} of node ${v[0]} (simulated)>`];
      } else {
        out[name] = [v];
      }
    }
    return out;
  }
}

function clientOf(item: QueueItem): string | null {
  const c = item.extraData.client_id;
  return typeof c === 'string' ? c : null;
}

function exceptionFor(rule: FailRule): SimulatedException {
  return rule.kind === 'oom' ? OUT_OF_MEMORY : injectedException(rule.message, rule.exceptionType);
}

function pngInfo(extra: unknown): Record<string, string> {
  if (!extra || typeof extra !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(extra)) out[k] = pyJsonDumps(v);
  return out;
}

function findUpstreamNumber(graph: Graph, id: string, names: string[]): number | undefined {
  const seen = new Set<string>();
  const queue = [id];
  while (queue.length > 0) {
    const nid = queue.shift() as string;
    if (seen.has(nid)) continue;
    seen.add(nid);
    const node = graph[nid];
    if (!node) continue;
    for (const [k, v] of Object.entries(node.inputs ?? {})) {
      if (names.includes(k) && typeof v === 'number') return v;
      if (isLink(v)) queue.push(v[0]);
    }
  }
  return undefined;
}
