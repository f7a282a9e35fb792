// The simulator's node catalogue: ComfyUI 0.8.0's /object_info (object-info.json beside this file, the whole
// file as recorded from a real server) with the lists that depend on the machine filled in: model files per
// folder, and the images in the input folder (uploads).
import { readFileSync } from 'node:fs';

/** `[type, options]` as /object_info writes an input; `type` is a list of choices for an old-style combo. */
export type InputSpec = [type: string | unknown[], options?: Record<string, unknown>];

export interface NodeDef {
  input: { required?: Record<string, InputSpec>; optional?: Record<string, InputSpec>; hidden?: Record<string, unknown> };
  input_order?: { required?: string[]; optional?: string[]; hidden?: string[] };
  output: string[];
  output_is_list?: boolean[];
  output_name?: string[];
  output_node: boolean;
  name: string;
  display_name?: string | null;
  category: string;
  python_module?: string;
  [key: string]: unknown;
}

export type ObjectInfo = Record<string, NodeDef>;

/** ComfyUI's model folders (GET /models), each with the files the simulated server has. */
export type ModelFolder =
  | 'checkpoints'
  | 'configs'
  | 'loras'
  | 'vae'
  | 'text_encoders'
  | 'diffusion_models'
  | 'clip_vision'
  | 'style_models'
  | 'embeddings'
  | 'diffusers'
  | 'vae_approx'
  | 'controlnet'
  | 'gligen'
  | 'upscale_models'
  | 'latent_upscale_models'
  | 'custom_nodes'
  | 'hypernetworks'
  | 'photomaker'
  | 'classifiers'
  | 'model_patches'
  | 'audio_encoders';

export const MODEL_FOLDERS: readonly ModelFolder[] = [
  'checkpoints',
  'configs',
  'loras',
  'vae',
  'text_encoders',
  'diffusion_models',
  'clip_vision',
  'style_models',
  'embeddings',
  'diffusers',
  'vae_approx',
  'controlnet',
  'gligen',
  'upscale_models',
  'latent_upscale_models',
  'custom_nodes',
  'hypernetworks',
  'photomaker',
  'classifiers',
  'model_patches',
  'audio_encoders',
];

export type ModelLists = Partial<Record<ModelFolder, readonly string[]>>;

/**
 * The files the simulated server has unless told otherwise: the checkpoint of the recording
 * (`probe_sd15_random.safetensors`), `broken.safetensors` (present but corrupt, so loading it fails at run time
 * with the recorded SafetensorError), and the models Inkwell's workflows name.
 */
export const DEFAULT_MODELS: Readonly<Record<string, readonly string[]>> = {
  checkpoints: [
    'probe_sd15_random.safetensors',
    'broken.safetensors',
    'sd_xl_base_1.0.safetensors',
    'sd_xl_refiner_1.0.safetensors',
    'v1-5-pruned-emaonly.safetensors',
    'svd_xt.safetensors',
    'svd.safetensors',
  ],
  diffusion_models: ['flux1-dev.safetensors', 'flux1-schnell.safetensors'],
  text_encoders: ['clip_l.safetensors', 't5xxl_fp16.safetensors', 't5xxl_fp8_e4m3fn.safetensors'],
  vae: ['ae.safetensors', 'sdxl_vae.safetensors'],
  clip_vision: ['clip_vision_h.safetensors', 'CLIP-ViT-H-14-laion2B-s32B-b79K.safetensors'],
  upscale_models: ['RealESRGAN_x4plus.pth', '4x-UltraSharp.pth'],
};

/** Which combo inputs list files of which model folder (ComfyUI fills them from folder_paths). */
const MODEL_INPUTS: Record<string, Record<string, ModelFolder>> = {
  CheckpointLoaderSimple: { ckpt_name: 'checkpoints' },
  CheckpointLoader: { ckpt_name: 'checkpoints' },
  ImageOnlyCheckpointLoader: { ckpt_name: 'checkpoints' },
  unCLIPCheckpointLoader: { ckpt_name: 'checkpoints' },
  CreateHookModelAsLora: { ckpt_name: 'checkpoints' },
  CreateHookModelAsLoraModelOnly: { ckpt_name: 'checkpoints' },
  LTXAVTextEncoderLoader: { ckpt_name: 'checkpoints', text_encoder: 'text_encoders' },
  LTXVAudioVAELoader: { ckpt_name: 'checkpoints' },
  LoraLoader: { lora_name: 'loras' },
  LoraLoaderModelOnly: { lora_name: 'loras' },
  CreateHookLora: { lora_name: 'loras' },
  CreateHookLoraModelOnly: { lora_name: 'loras' },
  VAELoader: { vae_name: 'vae' },
  CLIPLoader: { clip_name: 'text_encoders' },
  DualCLIPLoader: { clip_name1: 'text_encoders', clip_name2: 'text_encoders' },
  TripleCLIPLoader: { clip_name1: 'text_encoders', clip_name2: 'text_encoders', clip_name3: 'text_encoders' },
  QuadrupleCLIPLoader: { clip_name1: 'text_encoders', clip_name2: 'text_encoders', clip_name3: 'text_encoders', clip_name4: 'text_encoders' },
  UNETLoader: { unet_name: 'diffusion_models' },
  CLIPVisionLoader: { clip_name: 'clip_vision' },
  ControlNetLoader: { control_net_name: 'controlnet' },
  DiffControlNetLoader: { control_net_name: 'controlnet' },
  StyleModelLoader: { style_model_name: 'style_models' },
  GLIGENLoader: { gligen_name: 'gligen' },
  HypernetworkLoader: { hypernetwork_name: 'hypernetworks' },
  PhotoMakerLoader: { photomaker_model_name: 'photomaker' },
  DiffusersLoader: { model_path: 'diffusers' },
  ModelPatchLoader: { name: 'model_patches' },
  AudioEncoderLoader: { audio_encoder_name: 'audio_encoders' },
  LatentUpscaleModelLoader: { model_name: 'latent_upscale_models' },
  UpscaleModelLoader: { model_name: 'upscale_models' },
};

/** Combo inputs that list the input folder: what /upload/image stores. */
export type InputKind = 'image' | 'video' | 'audio';
const INPUT_FILE_INPUTS: Record<string, Record<string, InputKind>> = {
  LoadImage: { image: 'image' },
  LoadImageMask: { image: 'image' },
  LoadVideo: { file: 'video' },
  LoadAudio: { audio: 'audio' },
};

/** ComfyUI nodes whose own validation checks that the named input file exists (custom_validation_failed). */
export const INPUT_FILE_VALIDATION: Record<string, { input: string; label: string }> = {
  LoadImage: { input: 'image', label: 'Invalid image file' },
  LoadImageMask: { input: 'image', label: 'Invalid image file' },
  LoadVideo: { input: 'file', label: 'Invalid video file' },
  LoadAudio: { input: 'audio', label: 'Invalid audio file' },
};

export function modelFolderOf(classType: string, input: string): ModelFolder | undefined {
  return MODEL_INPUTS[classType]?.[input];
}

export function inputKindOf(classType: string, input: string): InputKind | undefined {
  return INPUT_FILE_INPUTS[classType]?.[input];
}

let bundled: ObjectInfo | undefined;

/** The node catalogue shipped with the simulator (ComfyUI 0.8.0 core, 439 classes, prose removed). */
export function bundledObjectInfo(): ObjectInfo {
  bundled ??= JSON.parse(readFileSync(new URL('./object-info.json', import.meta.url), 'utf8')) as ObjectInfo;
  return bundled;
}

export interface CatalogueSources {
  base: ObjectInfo;
  models: Record<string, readonly string[]>;
  /** Names in the input folder, per kind, sorted as ComfyUI lists them. */
  inputFiles: () => Record<InputKind, string[]>;
}

/** The catalogue as the server answers it now: base definitions with the machine-dependent lists filled. */
export class NodeCatalogue {
  private readonly sources: CatalogueSources;
  private readonly filled = new Map<string, NodeDef>();

  constructor(sources: CatalogueSources) {
    this.sources = sources;
  }

  /** Forget filled definitions (after an upload changed the input folder). */
  invalidate(): void {
    this.filled.clear();
  }

  has(classType: string): boolean {
    return Object.hasOwn(this.sources.base, classType);
  }

  get(classType: string): NodeDef | undefined {
    if (!this.has(classType)) return undefined;
    let def = this.filled.get(classType);
    if (!def) {
      def = this.fill(classType, this.sources.base[classType] as NodeDef);
      this.filled.set(classType, def);
    }
    return def;
  }

  classes(): string[] {
    return Object.keys(this.sources.base);
  }

  all(): ObjectInfo {
    const out: ObjectInfo = {};
    for (const name of this.classes()) out[name] = this.get(name) as NodeDef;
    return out;
  }

  models(folder: string): string[] {
    return [...(this.sources.models[folder] ?? [])];
  }

  private fill(classType: string, def: NodeDef): NodeDef {
    const models = MODEL_INPUTS[classType];
    const files = INPUT_FILE_INPUTS[classType];
    if (!models && !files) return def;
    const copy: NodeDef = structuredClone(def);
    for (const section of ['required', 'optional'] as const) {
      const inputs = copy.input[section];
      if (!inputs) continue;
      for (const [name, spec] of Object.entries(inputs)) {
        let choices: string[] | undefined;
        const folder = models?.[name];
        if (folder) {
          choices = [...(this.sources.models[folder] ?? [])];
          // ComfyUI's VAE list always offers the built-in pixel-space decoder.
          if (classType === 'VAELoader') choices.push('pixel_space');
        }
        const kind = files?.[name];
        if (kind) choices = [...this.sources.inputFiles()[kind]];
        if (choices) inputs[name] = withChoices(spec, choices);
      }
    }
    return copy;
  }
}

function withChoices(spec: InputSpec, choices: string[]): InputSpec {
  const [type, options] = spec;
  if (type === 'COMBO') return ['COMBO', { ...(options ?? {}), options: choices }];
  return options === undefined ? [choices] : [choices, options];
}

/** The inputs of a definition in ComfyUI's order: required, then optional. */
export function definedInputs(def: NodeDef): Array<{ name: string; spec: InputSpec; category: 'required' | 'optional' }> {
  const out: Array<{ name: string; spec: InputSpec; category: 'required' | 'optional' }> = [];
  for (const category of ['required', 'optional'] as const) {
    const specs = def.input[category] ?? {};
    const order = def.input_order?.[category] ?? [];
    const names = [...order.filter((n) => Object.hasOwn(specs, n)), ...Object.keys(specs).filter((n) => !order.includes(n))];
    for (const name of names) out.push({ name, spec: specs[name] as InputSpec, category });
  }
  return out;
}
