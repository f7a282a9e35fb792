// How ComfyUI walks a graph: the order nodes run in (comfy_execution/graph.py ExecutionList with its
// "UX friendly" pick), which nodes a resubmission may take from the cache (an input signature per node), and
// what the simulated outputs should look like (size, frame count, seed and prompt found upstream).
import { createHash } from 'node:crypto';
import type { NodeCatalogue } from './catalogue.ts';
import { orderedEntries } from './ordered-json.ts';

export interface GraphNode {
  class_type: string;
  inputs: Record<string, unknown>;
  [key: string]: unknown;
}

export type Graph = Record<string, GraphNode>;

export function isLink(v: unknown): v is [string, number] {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'number';
}

/** The topological "dissolve" of ExecutionList: ready nodes in pending order, output-adjacent ones first. */
export class ExecutionList {
  private readonly graph: Graph;
  private readonly isCached: (id: string) => boolean;
  private readonly isOutput: (id: string) => boolean;
  private readonly isLazy: (id: string, input: string) => boolean;
  private readonly pending = new Map<string, true>();
  private readonly blockers = new Map<string, Set<string>>();
  private readonly blocking = new Map<string, Set<string>>();

  constructor(graph: Graph, deps: { isCached: (id: string) => boolean; isOutput: (id: string) => boolean; isLazy: (id: string, input: string) => boolean }) {
    this.graph = graph;
    this.isCached = deps.isCached;
    this.isOutput = deps.isOutput;
    this.isLazy = deps.isLazy;
  }

  addNode(id: string): void {
    const stack = [id];
    const links: Array<[string, string]> = [];
    while (stack.length > 0) {
      const uid = stack.pop() as string;
      if (this.pending.has(uid)) continue;
      this.pending.set(uid, true);
      this.blockers.set(uid, new Set());
      this.blocking.set(uid, new Set());
      const node = this.graph[uid];
      if (!node) continue;
      for (const [input, value] of orderedEntries(node.inputs ?? {})) {
        if (!isLink(value) || !this.graph[value[0]] || this.isLazy(uid, input)) continue;
        if (!this.isCached(value[0])) stack.push(value[0]);
        links.push([value[0], uid]);
      }
    }
    for (const [from, to] of links) {
      if (!this.isCached(from) || this.pending.has(from)) {
        this.addNode(from);
        this.blocking.get(from)?.add(to);
        this.blockers.get(to)?.add(from);
      }
    }
  }

  isEmpty(): boolean {
    return this.pending.size === 0;
  }

  /** The next node to run, or undefined when what is left waits on itself (a cycle). */
  stage(): string | undefined {
    const ready = [...this.pending.keys()].filter((id) => (this.blockers.get(id)?.size ?? 0) === 0);
    if (ready.length === 0) return undefined;
    for (const id of ready) if (this.isOutput(id)) return id;
    for (const id of ready) for (const b of this.blocking.get(id) ?? []) if (this.isOutput(b)) return id;
    for (const id of ready) {
      for (const b of this.blocking.get(id) ?? []) {
        if (!this.pending.has(b)) continue;
        for (const b1 of this.blocking.get(b) ?? []) if (this.isOutput(b1)) return id;
      }
    }
    return ready[0];
  }

  complete(id: string): void {
    this.pending.delete(id);
    for (const b of this.blockers.get(id) ?? []) this.blocking.get(b)?.delete(id);
    this.blockers.delete(id);
    for (const b of this.blocking.get(id) ?? []) this.blockers.get(b)?.delete(id);
    this.blocking.delete(id);
  }
}

/**
 * A cache key per node: its class, its constant inputs and, for linked inputs, the key of the node they come
 * from. `extra` adds what ComfyUI's IS_CHANGED adds (a LoadImage's file content).
 */
export function inputSignatures(graph: Graph, extra: (id: string, node: GraphNode) => string): Map<string, string> {
  const memo = new Map<string, string>();
  const visiting = new Set<string>();
  const sig = (id: string): string => {
    const known = memo.get(id);
    if (known) return known;
    const node = graph[id];
    if (!node) return `missing:${id}`;
    if (visiting.has(id)) return `cycle:${id}`;
    visiting.add(id);
    const inputs = Object.keys(node.inputs ?? {})
      .sort()
      .map((k) => {
        const v = node.inputs[k];
        return [k, isLink(v) && graph[v[0]] ? ['link', sig(v[0]), v[1]] : v];
      });
    visiting.delete(id);
    const key = createHash('sha1').update(JSON.stringify([node.class_type, inputs, extra(id, node)])).digest('hex');
    memo.set(id, key);
    return key;
  };
  for (const id of Object.keys(graph)) sig(id);
  return memo;
}

/** What the simulated output of a node looks like, found by walking the graph upstream. */
export interface OutputShape {
  width: number;
  height: number;
  /** Images in the batch, or frames of a video. */
  count: number;
  /** Whether the count is frames of one video (SVD, video latents) rather than separate pictures. */
  video: boolean;
  seed: string;
  text: string;
  /** Latent pixels handed to the sampler (width × height × batch), to simulate running out of memory. */
  latentPixels: number;
}

const LINK_PREFERENCE = ['images', 'image', 'samples', 'latent_image', 'latent', 'pixels', 'video', 'frames'];

export interface ShapeDeps {
  catalogue: NodeCatalogue;
  /** Size of an input-folder image named by a LoadImage value. */
  inputImageSize: (value: string) => { width: number; height: number } | undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Follows the graph upstream from `id` to find sizes, frame counts, the seed and the prompt. */
export function outputShape(graph: Graph, id: string, deps: ShapeDeps): OutputShape {
  const memo = new Map<string, { width: number; height: number; count: number; video: boolean } | undefined>();
  const visiting = new Set<string>();

  const size = (nid: string): { width: number; height: number; count: number; video: boolean } | undefined => {
    if (memo.has(nid)) return memo.get(nid);
    const node = graph[nid];
    if (!node || visiting.has(nid)) return undefined;
    visiting.add(nid);
    const inputs = node.inputs ?? {};
    let found: { width: number; height: number; count: number; video: boolean } | undefined;
    const w = num(inputs.width);
    const h = num(inputs.height);
    const frames = num(inputs.video_frames) ?? num(inputs.length) ?? num(inputs.num_frames);
    const batch = num(inputs.batch_size);
    if (node.class_type === 'LoadImage' || node.class_type === 'LoadImageMask') {
      const dims = typeof inputs.image === 'string' ? deps.inputImageSize(inputs.image) : undefined;
      found = { width: dims?.width ?? 512, height: dims?.height ?? 512, count: 1, video: false };
    } else if (w !== undefined && h !== undefined && w > 0 && h > 0) {
      found = { width: w, height: h, count: frames ?? batch ?? 1, video: frames !== undefined };
    } else {
      // Inherit from the first linked input that knows, images and latents first.
      const linked = orderedEntries(inputs)
        .filter(([, v]) => isLink(v))
        .sort(([a], [b]) => rank(a) - rank(b));
      for (const [, v] of linked) {
        found = size((v as [string, number])[0]);
        if (found) break;
      }
      if (found) {
        const scale = num(inputs.scale_by) ?? num(inputs.upscale_by);
        if (scale !== undefined) found = { ...found, width: Math.max(1, Math.round(found.width * scale)), height: Math.max(1, Math.round(found.height * scale)) };
        const amount = num(inputs.amount);
        if (node.class_type === 'RepeatImageBatch' && amount !== undefined) found = { ...found, count: found.count * amount };
      }
    }
    visiting.delete(nid);
    memo.set(nid, found);
    return found;
  };

  // Seed and prompt: the first ones met walking upstream, breadth first.
  let seed: string | undefined;
  const texts: string[] = [];
  const seen = new Set<string>([id]);
  const queue = [id];
  while (queue.length > 0) {
    const nid = queue.shift() as string;
    const node = graph[nid];
    if (!node) continue;
    for (const [name, v] of orderedEntries(node.inputs ?? {})) {
      if (isLink(v)) {
        if (!seen.has(v[0])) {
          seen.add(v[0]);
          queue.push(v[0]);
        }
      } else if (seed === undefined && (name === 'seed' || name === 'noise_seed') && (typeof v === 'number' || typeof v === 'string')) {
        seed = String(v);
      } else if (typeof v === 'string' && (name === 'text' || name === 'prompt' || name === 'clip_l' || name === 't5xxl' || name === 'text_g')) {
        texts.push(v);
      }
    }
  }

  const s = size(id) ?? { width: 512, height: 512, count: 1, video: false };
  const width = clampSize(s.width);
  const height = clampSize(s.height);
  return {
    width,
    height,
    count: Math.max(1, Math.min(s.video ? 240 : 64, Math.round(s.count))),
    video: s.video,
    seed: seed ?? '0',
    text: texts.join('\n'),
    latentPixels: s.width * s.height * Math.max(1, s.count),
  };
}

function rank(name: string): number {
  const i = LINK_PREFERENCE.indexOf(name);
  return i < 0 ? LINK_PREFERENCE.length : i;
}

/** Output pictures are drawn at the asked size, within what the simulator is willing to draw. */
function clampSize(n: number): number {
  return Math.max(8, Math.min(4096, Math.round(n)));
}

/** The number of steps a sampling node reports progress for, or undefined for a node that does not sample. */
export function samplerSteps(graph: Graph, id: string, catalogue: NodeCatalogue): number | undefined {
  const node = graph[id];
  if (!node) return undefined;
  const def = catalogue.get(node.class_type);
  if (!def || !def.category.startsWith('sampling') || !def.output.includes('LATENT')) return undefined;
  const inputs = node.inputs ?? {};
  const steps = num(inputs.steps);
  if (steps !== undefined) {
    if (node.class_type === 'KSamplerAdvanced') {
      const start = num(inputs.start_at_step) ?? 0;
      const end = Math.min(num(inputs.end_at_step) ?? steps, steps);
      return Math.max(0, end - start);
    }
    return steps;
  }
  // Custom samplers take their steps from the scheduler that makes their sigmas.
  const seen = new Set<string>();
  const queue = Object.values(inputs).filter(isLink).map((l) => l[0]);
  while (queue.length > 0) {
    const nid = queue.shift() as string;
    if (seen.has(nid)) continue;
    seen.add(nid);
    const up = graph[nid];
    if (!up) continue;
    const s = num(up.inputs?.steps);
    if (s !== undefined) return s;
    for (const v of Object.values(up.inputs ?? {})) if (isLink(v)) queue.push(v[0]);
  }
  return 20;
}
