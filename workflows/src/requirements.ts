// What a graph needs from a ComfyUI instance, checked against its /object_info: every node class, and every
// model file named in a combo input (ckpt_name, lora_name, vae_name, unet_name…), whose allowed values are
// the files the server has. Used by the worker at start to report what is missing before any job runs, and
// by the API's admin view of the ComfyUI instances: one implementation for both.
import { WORKFLOWS } from './catalogue.ts';

/** A graph in API format, as loosely as the check needs it (the worker's and the catalogue's both fit). */
type ComfyGraph = Readonly<Record<string, { class_type: string; inputs?: Readonly<Record<string, unknown>> }>>;
/** `[type, options]` per input; `type` is a list of choices for an old-style combo. */
type ComfyInputSpec = readonly unknown[];
interface ComfyNodeDef {
  input: { required?: Record<string, ComfyInputSpec>; optional?: Record<string, ComfyInputSpec> };
}

export interface MissingNode {
  nodeId: string;
  classType: string;
}

export interface MissingModel {
  nodeId: string;
  classType: string;
  input: string;
  /** The file the graph names. */
  value: string;
  /** How many files the server offers for that input (0: that folder is empty). */
  available: number;
}

export interface InvalidValue {
  nodeId: string;
  classType: string;
  input: string;
  value: unknown;
  allowed: unknown[];
}

export interface RequirementsReport {
  ok: boolean;
  missingNodes: MissingNode[];
  missingModels: MissingModel[];
  /** Other combo inputs whose value is not offered (a sampler or scheduler name the server lacks). */
  invalidValues: InvalidValue[];
}

const MODEL_FILE = /\.(safetensors|ckpt|pt|pth|bin|gguf|sft|onnx|yaml)$/i;
const MODEL_INPUT = /(^|_)(ckpt|lora|vae|clip|unet|model|control_net|controlnet|style_model|gligen|hypernetwork|photomaker|upscale|audio_encoder|text_encoder|ipadapter|checkpoint)(_name\d*)?$/i;

function choicesOf(spec: ComfyInputSpec | undefined): unknown[] | undefined {
  if (!spec) return undefined;
  const [type, options] = spec as [unknown, Record<string, unknown> | undefined];
  if (Array.isArray(type)) return type;
  if (type === 'COMBO' && options && Array.isArray(options.options)) return options.options;
  return undefined;
}

function isUpload(spec: ComfyInputSpec): boolean {
  const options = (spec as [unknown, Record<string, unknown> | undefined])[1];
  return Boolean(options && (options.image_upload || options.video_upload || options.audio_upload || options.image_folder));
}

function specOf(def: ComfyNodeDef, input: string): ComfyInputSpec | undefined {
  return def.input.required?.[input] ?? def.input.optional?.[input];
}

function nodeDef(objectInfo: Readonly<Record<string, unknown>>, classType: string): ComfyNodeDef | undefined {
  const def = Object.hasOwn(objectInfo, classType) ? objectInfo[classType] : undefined;
  return def && typeof def === 'object' && 'input' in def ? (def as ComfyNodeDef) : undefined;
}

/** Which node classes, model files and choices of `graph` the server described by `objectInfo` (GET /object_info) lacks. */
export function inspectRequirements(objectInfo: Readonly<Record<string, unknown>>, graph: ComfyGraph): RequirementsReport {
  const missingNodes: MissingNode[] = [];
  const missingModels: MissingModel[] = [];
  const invalidValues: InvalidValue[] = [];
  for (const [nodeId, node] of Object.entries(graph)) {
    const def = nodeDef(objectInfo, node.class_type);
    if (!def) {
      missingNodes.push({ nodeId, classType: node.class_type });
      continue;
    }
    for (const [input, value] of Object.entries(node.inputs ?? {})) {
      if (Array.isArray(value)) continue; // a link
      const spec = specOf(def, input);
      const choices = choicesOf(spec);
      // Upload inputs (LoadImage) name files that the job uploads before it runs.
      if (!spec || !choices || isUpload(spec)) continue;
      if (choices.includes(value)) continue;
      if (typeof value === 'string' && (MODEL_FILE.test(value) || MODEL_INPUT.test(input))) {
        missingModels.push({ nodeId, classType: node.class_type, input, value, available: choices.length });
      } else {
        invalidValues.push({ nodeId, classType: node.class_type, input, value, allowed: choices });
      }
    }
  }
  return { ok: missingNodes.length + missingModels.length + invalidValues.length === 0, missingNodes, missingModels, invalidValues };
}

/**
 * What `graph` needs that the server lacks, one short line each (empty when it has everything):
 * `node class IPAdapterAdvanced`, `model sd_xl_base_1.0.safetensors (CheckpointLoaderSimple.ckpt_name)`,
 * `KSampler.sampler_name = "foo"`. The same need in several graphs gives the same line.
 */
export function checkRequirements(objectInfo: Readonly<Record<string, unknown>>, graph: ComfyGraph): string[] {
  const report = inspectRequirements(objectInfo, graph);
  return [
    ...report.missingNodes.map((m) => `node class ${m.classType}`),
    ...report.missingModels.map((m) => `model ${m.value} (${m.classType}.${m.input})`),
    ...report.invalidValues.map((m) => `${m.classType}.${m.input} = ${JSON.stringify(m.value)}`),
  ];
}

/** One line per problem, for a start-up log. */
export function describeRequirements(report: RequirementsReport, label = 'graph'): string[] {
  return [
    ...report.missingNodes.map((m) => `${label}: node ${m.nodeId} needs node class ${m.classType}, which this ComfyUI does not have (a custom-node pack to install?)`),
    ...report.missingModels.map((m) => `${label}: node ${m.nodeId} (${m.classType}) needs ${m.input} = ${m.value}, which is not among the ${m.available} files this ComfyUI has`),
    ...report.invalidValues.map((m) => `${label}: node ${m.nodeId} (${m.classType}) sets ${m.input} = ${JSON.stringify(m.value)}, not one of ${JSON.stringify(m.allowed.slice(0, 10))}${m.allowed.length > 10 ? '…' : ''}`),
  ];
}

/** Which workflows of the catalogue the server described by `objectInfo` cannot run, and what each lacks. */
export function unrunnableWorkflows(objectInfo: Readonly<Record<string, unknown>>): Map<string, string[]> {
  const missing = new Map<string, string[]>();
  for (const workflow of WORKFLOWS) {
    const lacks = [...new Set(workflow.graphs.flatMap((graph) => checkRequirements(objectInfo, graph)))];
    if (lacks.length > 0) missing.set(workflow.id, lacks);
  }
  return missing;
}
