import { z } from 'zod';
import characterReference from '../graphs/character-reference.json' with { type: 'json' };
import characterSheet from '../graphs/character-sheet.json' with { type: 'json' };
import comicPanelReference from '../graphs/comic-panel-reference.json' with { type: 'json' };
import comicPanel from '../graphs/comic-panel.json' with { type: 'json' };
import gifSvd from '../graphs/gif-svd.json' with { type: 'json' };
import img2imgSdxl from '../graphs/img2img-sdxl.json' with { type: 'json' };
import img2videoSvd from '../graphs/img2video-svd.json' with { type: 'json' };
import txt2imgFlux from '../graphs/txt2img-flux.json' with { type: 'json' };
import txt2imgSdxl from '../graphs/txt2img-sdxl.json' with { type: 'json' };
import upscale from '../graphs/upscale.json' with { type: 'json' };
import { type CastMember, MAX_CAST, castImages, castOf, castPrompt, withCast } from './cast.ts';
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
  /** Images the API added beyond the public parameters (a panel's characters' references): upload name → media id. */
  extraImages?(params: Record<string, unknown>): Record<string, string>;
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

const DEFAULT_NEGATIVE = 'blurry, low quality, watermark, text, signature';

const CHECKPOINTS = { 'sdxl-base': 'sd_xl_base_1.0.safetensors' } as const;
const checkpoint = z.enum(Object.keys(CHECKPOINTS) as [keyof typeof CHECKPOINTS]).default('sdxl-base');

/** One place in a graph: `node`'s input `input`. */
const at = (node: string, input: string): readonly Binding[] => [{ node, input }];

/** What every SDXL workflow takes besides its own parameters. */
const sdxlCommon = (l: Limits, defaults: { steps: number; guidance: number }) => ({
  negativePrompt: negativePrompt.default(DEFAULT_NEGATIVE),
  seed: seed.optional(),
  steps: steps(l, defaults.steps),
  guidance: guidance(defaults.guidance),
  model: checkpoint,
});

const sdxlBindings = {
  model: at('1', 'ckpt_name'),
  prompt: at('2', 'text'),
  negativePrompt: at('3', 'text'),
  width: at('4', 'width'),
  height: at('4', 'height'),
  seed: at('5', 'seed'),
  steps: at('5', 'steps'),
  guidance: at('5', 'cfg'),
} as const;

const referenceBindings = {
  model: at('1', 'ckpt_name'),
  referenceImage: at('3', 'image'),
  referenceWeight: at('4', 'weight'),
  prompt: at('5', 'text'),
  negativePrompt: at('6', 'text'),
  width: at('7', 'width'),
  height: at('7', 'height'),
  seed: at('8', 'seed'),
  steps: at('8', 'steps'),
  guidance: at('8', 'cfg'),
} as const;

const svdBindings = {
  inputImage: at('2', 'image'),
  width: at('3', 'width'),
  height: at('3', 'height'),
  frames: at('3', 'video_frames'),
  fps: [
    { node: '3', input: 'fps' },
    { node: '7', input: 'fps' },
  ],
  motion: at('3', 'motion_bucket_id'),
  seed: at('5', 'seed'),
  steps: at('5', 'steps'),
} as const;

/** The panel graph with characters: built on the plain one, whose checkpoint is node 1 and sampler node 5. */
const panelWithCast = (p: Record<string, unknown>) => withCast(asGraph(comicPanel), p, { checkpoint: '1', sampler: '5' });
/** The largest cast, for the check of what a ComfyUI must be able to run. */
const SAMPLE_CAST: CastMember[] = Array.from({ length: MAX_CAST }, (_, m) => ({
  id: `sample-${m}`,
  name: `Sample ${m}`,
  description: '',
  referenceMediaIds: ['a', 'b', 'c', 'd'],
}));

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
      z.object({ prompt, width: side(l, 1024), height: side(l, 1024), ...sdxlCommon(l, { steps: 25, guidance: 7 }) }),
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
      prompt: at('4', 'text'),
      guidance: at('5', 'guidance'),
      width: at('7', 'width'),
      height: at('7', 'height'),
      seed: at('8', 'seed'),
      steps: at('8', 'steps'),
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
      z.object({ prompt, inputImage: mediaId, strength, ...sdxlCommon(l, { steps: 25, guidance: 7 }) }),
    imageParams: ['inputImage'],
    graph: () => asGraph(img2imgSdxl),
    graphs: [asGraph(img2imgSdxl)],
    derive: modelFile,
    bindings: () => ({
      model: at('1', 'ckpt_name'),
      prompt: at('2', 'text'),
      negativePrompt: at('3', 'text'),
      inputImage: at('4', 'image'),
      seed: at('6', 'seed'),
      steps: at('6', 'steps'),
      guidance: at('6', 'cfg'),
      strength: at('6', 'denoise'),
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
        referenceImage: mediaId,
        referenceWeight,
        width: side(l, 1024),
        height: side(l, 1024),
        ...sdxlCommon(l, { steps: 25, guidance: 6.5 }),
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
    description: "A panel in a comic style, with up to three characters of the comic's library, or a character from a reference image.",
    jobType: 'comic',
    permission: 'jobs:create',
    params: (l) =>
      z.object({
        prompt,
        style: comicStyle,
        characters: z
          .array(z.uuid({ error: 'Not a character of this comic' }))
          .max(MAX_CAST, `At most ${MAX_CAST} characters in a panel`)
          .refine((ids) => new Set(ids).size === ids.length, 'Each character once')
          .optional(),
        referenceImage: mediaId.optional(),
        referenceWeight,
        negativePrompt: negativePrompt.optional(),
        seed: seed.optional(),
        width: side(l, 1024),
        height: side(l, 768),
        steps: steps(l, 25),
        guidance: guidance(7),
        model: checkpoint,
      }),
    imageParams: ['referenceImage'],
    extraImages: castImages,
    graph: (p) => (castOf(p).length ? panelWithCast(p).graph : asGraph(p.referenceImage ? comicPanelReference : comicPanel)),
    graphs: [asGraph(comicPanel), asGraph(comicPanelReference), panelWithCast({ cast: SAMPLE_CAST, referenceImage: 'sample' }).graph],
    derive: (p) => {
      const style = COMIC_STYLES[p.style as keyof typeof COMIC_STYLES];
      const cast = castOf(p);
      const extra = typeof p.negativePrompt === 'string' && p.negativePrompt ? `, ${p.negativePrompt}` : '';
      return {
        ...modelFile(p),
        prompt: [p.prompt as string, ...(cast.length ? [castPrompt(cast)] : []), style.positive].join(', '),
        negativePrompt: `${style.negative}, ${DEFAULT_NEGATIVE}, letters, speech bubble${extra}`,
        // Several IP-Adapters on one model add up: each gets a share, so the picture is not overcooked.
        ...(cast.length && { castWeight: (p.referenceWeight as number) / Math.sqrt(cast.length + (p.referenceImage ? 1 : 0)) }),
      };
    },
    bindings: (p) => (castOf(p).length ? { ...sdxlBindings, ...panelWithCast(p).bindings } : p.referenceImage ? referenceBindings : sdxlBindings),
    output: (p) => ({ node: p.referenceImage && !castOf(p).length ? '10' : '7', kind: 'image' }),
  },
  {
    id: 'character-sheet',
    name: 'Character sheet',
    description: 'Draws a character from its description, from the front and from the side on a plain background: a reference for panels.',
    jobType: 'image',
    permission: 'jobs:create',
    params: (l) =>
      z.object({
        prompt,
        style: comicStyle,
        width: side(l, 1024),
        height: side(l, 768),
        ...sdxlCommon(l, { steps: 25, guidance: 7 }),
      }),
    imageParams: [],
    graph: () => asGraph(characterSheet),
    graphs: [asGraph(characterSheet)],
    derive: (p) => {
      const style = COMIC_STYLES[p.style as keyof typeof COMIC_STYLES];
      const sheet = (view: string) => `character design sheet, ${view}, full body, standing, ${p.prompt as string}, plain white background, ${style.positive}`;
      return {
        ...modelFile(p),
        front: sheet('front view, facing the viewer'),
        side: sheet('side view, profile'),
        negativePrompt: `${p.negativePrompt as string}, ${style.negative}, scenery, busy background, several characters, cropped`,
        // Each view is half of the sheet.
        viewWidth: (p.width as number) / 2,
      };
    },
    bindings: () => ({
      model: at('1', 'ckpt_name'),
      front: at('2', 'text'),
      side: at('3', 'text'),
      negativePrompt: at('4', 'text'),
      viewWidth: at('5', 'width'),
      height: at('5', 'height'),
      seed: [
        { node: '6', input: 'seed' },
        { node: '10', input: 'seed' },
      ],
      steps: [
        { node: '6', input: 'steps' },
        { node: '10', input: 'steps' },
      ],
      guidance: [
        { node: '6', input: 'cfg' },
        { node: '10', input: 'cfg' },
      ],
    }),
    output: () => ({ node: '13', kind: 'image' }),
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
    bindings: () => ({ inputImage: at('1', 'image'), factor: at('2', 'scale_by') }),
    output: () => ({ node: '3', kind: 'image' }),
  },
];

export function findWorkflow(id: string): WorkflowDefinition | undefined {
  return WORKFLOWS.find((w) => w.id === id);
}
