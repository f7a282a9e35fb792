// What each output node writes and reports in its `executed` message, in ComfyUI's shapes:
// SaveImage/PreviewImage → {images}, animated savers and videos → {images, animated: [true]},
// VideoHelperSuite's combine node (when the catalogue has it) → {gifs}, PreviewAny → {text}.
import { randomInt } from 'node:crypto';
import type { OutputShape } from './graph.ts';
import { animatedPlaceholder, placeholderPng, type AnimatedFormat, type PictureSpec } from './media.ts';
import { pyStr } from './pyfmt.ts';
import { savePath, type FileStore, type FolderType } from './store.ts';

export interface SavedFile {
  filename: string;
  subfolder: string;
  type: FolderType;
  [key: string]: unknown;
}

export type NodeUi = Record<string, unknown>;

export interface OutputContext {
  store: FileStore;
  /** The prompt as ComfyUI embeds it in PNG text chunks (json.dumps of the API graph). */
  promptJson: string;
  /** extra_data.extra_pnginfo, embedded key by key. */
  extraPngInfo: Record<string, string>;
  /** Frames per second found upstream (CreateVideo, SVD conditioning), for video outputs. */
  upstreamFps: number | undefined;
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}

function stringInput(inputs: Record<string, unknown>, name: string, fallback: string): string {
  const v = inputs[name];
  return typeof v === 'string' ? v : fallback;
}

function numberInput(inputs: Record<string, unknown>, name: string): number | undefined {
  const v = inputs[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function spec(shape: OutputShape): PictureSpec {
  return { width: shape.width, height: shape.height, seed: shape.seed, text: shape.text };
}

async function saveStills(ctx: OutputContext, shape: OutputShape, type: FolderType, prefix: string): Promise<SavedFile[]> {
  const { subfolder, base } = savePath(prefix, shape.width, shape.height);
  const first = ctx.store.nextCounter(type, subfolder, base, shape.count);
  const files: SavedFile[] = [];
  for (let i = 0; i < shape.count; i++) {
    const filename = `${base}_${pad5(first + i)}_.png`;
    const png = await placeholderPng(spec(shape), { prompt: ctx.promptJson, ...ctx.extraPngInfo });
    ctx.store.put(type, subfolder, filename, png, { width: shape.width, height: shape.height });
    files.push({ filename, subfolder, type });
  }
  return files;
}

async function saveAnimated(ctx: OutputContext, shape: OutputShape, prefix: string, format: AnimatedFormat, fps: number, nameFor: (base: string, counter: number) => string): Promise<SavedFile> {
  const { subfolder, base } = savePath(prefix, shape.width, shape.height);
  const counter = ctx.store.nextCounter('output', subfolder, base);
  const filename = nameFor(base, counter);
  const bytes = await animatedPlaceholder(spec(shape), shape.count, fps, format, format === 'png' ? { prompt: ctx.promptJson } : {});
  ctx.store.put('output', subfolder, filename, bytes, { width: shape.width, height: shape.height });
  return { filename, subfolder, type: 'output' };
}

function tempPrefix(): string {
  let s = 'ComfyUI_temp_';
  for (let i = 0; i < 5; i++) s += String.fromCharCode(97 + randomInt(26));
  return s;
}

/** Writes the files of an output node and returns its UI output, or undefined for a node that shows nothing. */
export async function produceOutputs(ctx: OutputContext, classType: string, inputs: Record<string, unknown>, shape: OutputShape): Promise<NodeUi | undefined> {
  switch (classType) {
    case 'SaveImage':
      return { images: await saveStills(ctx, shape, 'output', stringInput(inputs, 'filename_prefix', 'ComfyUI')) };
    case 'PreviewImage':
    case 'MaskPreview':
      return { images: await saveStills(ctx, shape, 'temp', tempPrefix()) };
    case 'SaveAnimatedWEBP': {
      const file = await saveAnimated(ctx, shape, stringInput(inputs, 'filename_prefix', 'ComfyUI'), 'webp', numberInput(inputs, 'fps') ?? 6, (b, c) => `${b}_${pad5(c)}_.webp`);
      return { images: [file], animated: [true] };
    }
    case 'SaveAnimatedPNG': {
      const file = await saveAnimated(ctx, shape, stringInput(inputs, 'filename_prefix', 'ComfyUI'), 'png', numberInput(inputs, 'fps') ?? 6, (b, c) => `${b}_${pad5(c)}_.png`);
      return { images: [file], animated: [true] };
    }
    case 'SaveWEBM':
    case 'SaveVideo': {
      // Real ComfyUI encodes VP9/AV1 (SaveWEBM) or H.264 MP4 (SaveVideo) with PyAV. The simulator has no video
      // encoder: it writes WebM with VP8 key frames, so both name their file .webm.
      const fps = numberInput(inputs, 'fps') ?? ctx.upstreamFps ?? 24;
      const prefix = stringInput(inputs, 'filename_prefix', classType === 'SaveVideo' ? 'video/ComfyUI' : 'ComfyUI');
      const file = await saveAnimated(ctx, shape, prefix, 'webm', fps, (b, c) => `${b}_${pad5(c)}_.webm`);
      return { images: [file], animated: [true] };
    }
    case 'VHS_VideoCombine': {
      const format = stringInput(inputs, 'format', 'image/gif');
      const fps = numberInput(inputs, 'frame_rate') ?? 8;
      const kind: AnimatedFormat = format === 'image/gif' ? 'gif' : format === 'image/webp' ? 'webp' : 'webm';
      const ext = kind === 'gif' ? 'gif' : kind === 'webp' ? 'webp' : 'webm';
      const file = await saveAnimated(ctx, shape, stringInput(inputs, 'filename_prefix', 'AnimateDiff'), kind, fps, (b, c) => `${b}_${pad5(c)}.${ext}`);
      return { gifs: [{ ...file, format: kind === 'webm' ? 'video/webm' : format, frame_rate: fps }] };
    }
    case 'PreviewAny': {
      const source = inputs.source;
      return { text: [Array.isArray(source) ? `(simulated output of node ${pyStr(source[0])})` : pyStr(source)] };
    }
    default:
      return undefined;
  }
}
