import { z } from 'zod';
import characterReference from '../graphs/character-reference.json' with { type: 'json' };
import comicPanelReference from '../graphs/comic-panel-reference.json' with { type: 'json' };
import comicPanel from '../graphs/comic-panel.json' with { type: 'json' };
import gifSvd from '../graphs/gif-svd.json' with { type: 'json' };
import img2imgSdxl from '../graphs/img2img-sdxl.json' with { type: 'json' };
import img2videoSvd from '../graphs/img2video-svd.json' with { type: 'json' };
import txt2imgFlux from '../graphs/txt2img-flux.json' with { type: 'json' };
import txt2imgSdxl from '../graphs/txt2img-sdxl.json' with { type: 'json' };
import upscale from '../graphs/upscale.json' with { type: 'json' };
import type { ApiGraph } from './graph.ts';
import {
  COMIC_STYLES,
  type Limits,
  comicStyle,
  fps,
  frames,
  guidance,
  mediaId,
  negativePrompt,
  prompt,
  seed,
  side,
  steps,
  strength,
} from './params.ts';

export const JOB_TYPES = ['image', 'video', 'gif', 'comic'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** Where one value is written in a graph: a node id and the name of one of its inputs. */
export interface Binding {
  node: string;
  input: string;
}

export interface WorkflowDefinition {
  id: string;
  name: string;
  description: string;
  jobType: JobType;
  /** The permission a caller needs: video and GIF need the advanced one (creators and up). */
  permission: 'jobs:create' | 'jobs:create-advanced';
  /** The public parameters, with limits that depend on the caller's role. */
  params(limits: Limits): z.ZodObject;
  /** Parameters that name images in the media library; the worker uploads them to ComfyUI first. */
  imageParams: readonly string[];
  /** The graph to run for these parameters (some workflows have a variant, e.g. with a reference image). */
  graph(params: Record<string, unknown>): ApiGraph;
  /** Every graph it may run: what a ComfyUI instance must be able to run for this workflow. */
  graphs: readonly ApiGraph[];
  /** Values computed from the parameters before binding (a styled prompt, say); the rest bind as they are. */
  derive?(params: Record<string, unknown>): Record<string, unknown>;
  /** Where each parameter (or derived value) is written, per graph variant when they differ. */
  bindings(params: Record<string, unknown>): Record<string, readonly Binding[]>;
  /** The node whose saved files are the result; animated outputs may be converted to GIF by the worker. */
  output(params: Record<string, unknown>): { node: string; kind: 'image' | 'animated'; convertTo?: 'gif' };
}

/** Graph files are checked against ComfyUI's node catalogue by the tests, not by the compiler. */
const asGraph = (json: unknown) => json as ApiGraph;

const CHECKPOINTS = { 'sdxl-base': 'sd_xl_base_1.0.safetensors' } as const;
const checkpoint = z.enum(Object.keys(CHECKPOINTS) as [keyof typeof CHECKPOINTS]).default('sdxl-base');

const sdxlBindings = {
  model: [{ node: '1', input: 'ckpt_name' }],
  prompt: [{ node: '2', input: 'text' }],
  negativePrompt: [{ node: '3', input: 'text' }],
  width: [{ node: '4', input: 'width' }],
  height: [{ node: '4', input: 'height' }],
  seed: [{ node: '5', input: 'seed' }],
  steps: [{ node: '5', input: 'steps' }],
  guidance: [{ node: '5', input: 'cfg' }],
} as const;

const referenceBindings = {
  model: [{ node: '1', input: 'ckpt_name' }],
  referenceImage: [{ node: '3', input: 'image' }],
  referenceWeight: [{ node: '4', input: 'weight' }],
  prompt: [{ node: '5', input: 'text' }],
  negativePrompt: [{ node: '6', input: 'text' }],
  width: [{ node: '7', input: 'width' }],
  height: [{ node: '7', input: 'height' }],
  seed: [{ node: '8', input: 'seed' }],
  steps: [{ node: '8', input: 'steps' }],
  guidance: [{ node: '8', input: 'cfg' }],
} as const;

const svdBindings = {
  inputImage: [{ node: '2', input: 'image' }],
  width: [{ node: '3', input: 'width' }],
  height: [{ node: '3', input: 'height' }],
  frames: [{ node: '3', input: 'video_frames' }],
  fps: [
    { node: '3', input: 'fps' },
    { node: '7', input: 'fps' },
  ],
  motion: [{ node: '3', input: 'motion_bucket_id' }],
  seed: [{ node: '5', input: 'seed' }],
  steps: [{ node: '5', input: 'steps' }],
} as const;

const modelFile = (params: Record<string, unknown>) => ({ model: CHECKPOINTS[params.model as keyof typeof CHECKPOINTS] });
const referenceWeight = z.number().min(0).max(1.5).default(0.8);
const motion = z.number().int().min(1).max(255).default(127);

export const WORKFLOWS: readonly WorkflowDefinition[] = [
  {
    id: 'txt2img-sdxl',
    name: 'Text to image (SDXL)',
    description: 'A picture from a description, with Stable Diffusion XL.',
    jobType: 'image',
    permission: 'jobs:create',
    params: (l) =>
      z.object({
        prompt,
        negativePrompt: negativePrompt.default('blurry, low quality, watermark, text, signature'),
        seed: seed.optional(),
        width: side(l, 1024),
        height: side(l, 1024),
        steps: steps(l, 25),
        guidance: guidance(7),
        model: checkpoint,
      }),
    imageParams: [],
    graph: () => asGraph(txt2imgSdxl),
    graphs: [asGraph(txt2imgSdxl)],
    derive: modelFile,
    bindings: () => sdxlBindings,
    output: () => ({ node: '7', kind: 'image' }),
  },
  {
    id: 'txt2img-flux',
    name: 'Text to image (Flux)',
    description: 'A picture from a description, with FLUX.1 [dev]: better at text and hands, slower.',
    jobType: 'image',
    permission: 'jobs:create',
    params: (l) =>
      z.object({ prompt, seed: seed.optional(), width: side(l, 1024), height: side(l, 1024), steps: steps(l, 20), guidance: guidance(3.5) }),
    imageParams: [],
    graph: () => asGraph(txt2imgFlux),
    graphs: [asGraph(txt2imgFlux)],
    bindings: () => ({
      prompt: [{ node: '4', input: 'text' }],
      guidance: [{ node: '5', input: 'guidance' }],
      width: [{ node: '7', input: 'width' }],
      height: [{ node: '7', input: 'height' }],
      seed: [{ node: '8', input: 'seed' }],
      steps: [{ node: '8', input: 'steps' }],
    }),
    output: () => ({ node: '10', kind: 'image' }),
  },
  {
    id: 'img2img-sdxl',
    name: 'Image to image',
    description: 'Redraws one of your images following a description; strength says how far it may stray.',
    jobType: 'image',
    permission: 'jobs:create',
    params: (l) =>
      z.object({
        prompt,
        negativePrompt: negativePrompt.default('blurry, low quality, watermark, text, signature'),
        inputImage: mediaId,
        strength,
        seed: seed.optional(),
        steps: steps(l, 25),
        guidance: guidance(7),
        model: checkpoint,
      }),
    imageParams: ['inputImage'],
    graph: () => asGraph(img2imgSdxl),
    graphs: [asGraph(img2imgSdxl)],
    derive: modelFile,
    bindings: () => ({
      model: [{ node: '1', input: 'ckpt_name' }],
      prompt: [{ node: '2', input: 'text' }],
      negativePrompt: [{ node: '3', input: 'text' }],
      inputImage: [{ node: '4', input: 'image' }],
      seed: [{ node: '6', input: 'seed' }],
      steps: [{ node: '6', input: 'steps' }],
      guidance: [{ node: '6', input: 'cfg' }],
      strength: [{ node: '6', input: 'denoise' }],
    }),
    output: () => ({ node: '8', kind: 'image' }),
  },
  {
    id: 'character-reference',
    name: 'Consistent character',
    description: 'Draws the character of a reference image in a new scene (IP-Adapter).',
    jobType: 'image',
    permission: 'jobs:create',
    params: (l) =>
      z.object({
        prompt,
        negativePrompt: negativePrompt.default('blurry, low quality, watermark, text, signature'),
        referenceImage: mediaId,
        referenceWeight,
        seed: seed.optional(),
        width: side(l, 1024),
        height: side(l, 1024),
        steps: steps(l, 25),
        guidance: guidance(6.5),
        model: checkpoint,
      }),
    imageParams: ['referenceImage'],
    graph: () => asGraph(characterReference),
    graphs: [asGraph(characterReference)],
    derive: modelFile,
    bindings: () => referenceBindings,
    output: () => ({ node: '10', kind: 'image' }),
  },
  {
    id: 'comic-panel',
    name: 'Comic panel',
    description: 'A panel in a comic style, optionally keeping a character from a reference image.',
    jobType: 'comic',
    permission: 'jobs:create',
    params: (l) =>
      z.object({
        prompt,
        style: comicStyle,
        referenceImage: mediaId.optional(),
        referenceWeight,
        seed: seed.optional(),
        width: side(l, 1024),
        height: side(l, 768),
        steps: steps(l, 25),
        guidance: guidance(7),
        model: checkpoint,
      }),
    imageParams: ['referenceImage'],
    graph: (p) => asGraph(p.referenceImage ? comicPanelReference : comicPanel),
    graphs: [asGraph(comicPanel), asGraph(comicPanelReference)],
    derive: (p) => {
      const style = COMIC_STYLES[p.style as keyof typeof COMIC_STYLES];
      return {
        ...modelFile(p),
        prompt: `${p.prompt as string}, ${style.positive}`,
        negativePrompt: `${style.negative}, blurry, low quality, watermark, text, signature, speech bubble`,
      };
    },
    bindings: (p) => (p.referenceImage ? referenceBindings : sdxlBindings),
    output: (p) => ({ node: p.referenceImage ? '10' : '7', kind: 'image' }),
  },
  {
    id: 'img2video-svd',
    name: 'Image to video',
    description: 'Brings one of your images to life as a short clip (Stable Video Diffusion).',
    jobType: 'video',
    permission: 'jobs:create-advanced',
    params: (l) =>
      z.object({
        inputImage: mediaId,
        width: side(l, 1024),
        height: side(l, 576),
        frames: frames(l, 25),
        fps,
        motion,
        seed: seed.optional(),
        steps: steps(l, 20),
      }),
    imageParams: ['inputImage'],
    graph: () => asGraph(img2videoSvd),
    graphs: [asGraph(img2videoSvd)],
    bindings: () => svdBindings,
    output: () => ({ node: '7', kind: 'animated' }),
  },
  {
    id: 'gif-svd',
    name: 'Animated GIF',
    description: 'A short looping GIF from one of your images.',
    jobType: 'gif',
    permission: 'jobs:create-advanced',
    params: (l) =>
      z.object({
        inputImage: mediaId,
        width: side(l, 512),
        height: side(l, 512),
        frames: frames(l, 14),
        fps,
        motion,
        seed: seed.optional(),
        steps: steps(l, 20),
      }),
    imageParams: ['inputImage'],
    graph: () => asGraph(gifSvd),
    graphs: [asGraph(gifSvd)],
    bindings: () => svdBindings,
    output: () => ({ node: '7', kind: 'animated', convertTo: 'gif' }),
  },
  {
    id: 'upscale',
    name: 'Upscale',
    description: 'Enlarges one of your images.',
    jobType: 'image',
    permission: 'jobs:create',
    params: (l) =>
      z.object({
        inputImage: mediaId,
        factor: z
          .number()
          .min(1.25)
          .max(l.maxUpscale, `At most ×${l.maxUpscale} for your role`)
          .default(2),
      }),
    imageParams: ['inputImage'],
    graph: () => asGraph(upscale),
    graphs: [asGraph(upscale)],
    bindings: () => ({ inputImage: [{ node: '1', input: 'image' }], factor: [{ node: '2', input: 'scale_by' }] }),
    output: () => ({ node: '3', kind: 'image' }),
  },
];

export function findWorkflow(id: string): WorkflowDefinition | undefined {
  return WORKFLOWS.find((w) => w.id === id);
}
