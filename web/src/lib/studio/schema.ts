/**
 * The studio's forms come from the API: each workflow lists the JSON Schema (2020-12) of its parameters for the
 * caller's role. This turns that schema into fields (what to show, limits, defaults), form values into the
 * parameters to send, and a job's parameters back into form values ("reuse seed").
 */
import type { WorkflowInfo } from '@inkwell/api/contract';

interface PropertySchema {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
}

interface ObjectSchema {
  properties?: Record<string, PropertySchema>;
  required?: string[];
}

interface Common {
  name: string;
  label: string;
  hint?: string;
  required: boolean;
}

export type FieldSpec =
  | (Common & { kind: 'text'; multiline: boolean; maxLength?: number; default: string })
  | (Common & { kind: 'select'; options: { value: string; label: string }[]; default: string })
  | (Common & { kind: 'number'; integer: boolean; min?: number; max?: number; step: number; unit?: string; default: number | null })
  | (Common & { kind: 'seed'; max: number })
  | (Common & { kind: 'image' });

/** What the form holds: text and choices as strings, numbers as numbers (null: empty), a seed, an image id. */
export type FormValues = Record<string, string | number | null>;

/** The seed field: `random`, or a fixed seed. */
export const RANDOM = 'random';

const LABELS: Record<string, { label: string; hint?: string; unit?: string }> = {
  prompt: { label: 'Prompt', hint: 'Describe what to draw: subject, setting, mood, lighting.' },
  negativePrompt: { label: 'Negative prompt', hint: 'What to keep out of the picture.' },
  width: { label: 'Width', unit: 'px' },
  height: { label: 'Height', unit: 'px' },
  steps: { label: 'Steps', hint: 'More steps: finer detail, but slower.' },
  guidance: { label: 'Guidance', hint: 'How closely the picture follows the prompt.' },
  model: { label: 'Model' },
  style: { label: 'Style' },
  seed: { label: 'Seed', hint: 'The same seed and settings draw the same picture again.' },
  inputImage: { label: 'Input image' },
  referenceImage: { label: 'Reference image', hint: 'Optional: a picture of the character to keep.' },
  referenceWeight: { label: 'Reference weight', hint: 'How strongly the reference image is followed.' },
  strength: { label: 'Strength', hint: 'How far the new picture may stray from the input image.' },
  frames: { label: 'Frames' },
  fps: { label: 'Frames per second', unit: 'fps' },
  motion: { label: 'Motion', hint: 'How much moves in the clip.' },
  factor: { label: 'Scale factor', unit: '×' },
};

const OPTION_LABELS: Record<string, string> = {
  'sdxl-base': 'SDXL base 1.0',
  watercolor: 'Watercolour',
  western: 'Western comic',
};

/** `negativePrompt` → "Negative prompt", `ligne-claire` → "Ligne claire". */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[-_]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const optionLabel = (value: string) => OPTION_LABELS[value] ?? humanize(value);

/** A slider step that suits a decimal range: 0.05 for weights, 0.25 for factors, 0.5 for guidance. */
function decimalStep(min: number | undefined, max: number | undefined): number {
  const range = (max ?? 10) - (min ?? 0);
  return range <= 2 ? 0.05 : range <= 5 ? 0.25 : 0.5;
}

/** Prompts first, then input images, then the rest in the catalogue's order, the seed last. */
function rank(field: FieldSpec): number {
  if (field.kind === 'text' && field.multiline) return 0;
  if (field.kind === 'image') return 1;
  if (field.kind === 'seed') return 3;
  return 2;
}

export function fieldsOf(workflow: WorkflowInfo): FieldSpec[] {
  const schema = (workflow.params ?? {}) as ObjectSchema;
  const required = new Set(schema.required ?? []);
  const fields: FieldSpec[] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    // A list (a panel's characters) is chosen where it comes from, in the comic, not in a form of its own.
    if (property.type === 'array') continue;
    const known = LABELS[name];
    const common: Common = { name, label: known?.label ?? humanize(name), hint: known?.hint, required: required.has(name) };
    if (workflow.imageParams.includes(name)) {
      fields.push({ ...common, kind: 'image', hint: common.required ? undefined : common.hint });
    } else if (name === 'seed' && (property.type === 'integer' || property.type === 'number')) {
      fields.push({ ...common, kind: 'seed', max: property.maximum ?? Number.MAX_SAFE_INTEGER });
    } else if (property.enum) {
      const values = property.enum.map(String);
      fields.push({
        ...common,
        kind: 'select',
        options: values.map((value) => ({ value, label: optionLabel(value) })),
        default: typeof property.default === 'string' ? property.default : (values[0] ?? ''),
      });
    } else if (property.type === 'integer' || property.type === 'number') {
      const integer = property.type === 'integer';
      fields.push({
        ...common,
        kind: 'number',
        integer,
        min: property.minimum,
        max: property.maximum,
        step: property.multipleOf ?? (integer ? 1 : decimalStep(property.minimum, property.maximum)),
        unit: known?.unit,
        default: typeof property.default === 'number' ? property.default : null,
      });
    } else {
      const maxLength = property.maxLength;
      fields.push({
        ...common,
        kind: 'text',
        multiline: /prompt/i.test(name) || (maxLength ?? 0) > 200,
        maxLength,
        default: typeof property.default === 'string' ? property.default : '',
      });
    }
  }
  return fields.map((field, index) => ({ field, index })).sort((a, b) => rank(a.field) - rank(b.field) || a.index - b.index).map(({ field }) => field);
}

/** The form's starting values: the catalogue's defaults, a random seed, no image. */
export function defaultValues(fields: FieldSpec[]): FormValues {
  const values: FormValues = {};
  for (const field of fields) {
    if (field.kind === 'seed') values[field.name] = RANDOM;
    else if (field.kind === 'image') values[field.name] = '';
    else values[field.name] = field.default;
  }
  return values;
}

/** A job's parameters as form values, the decided seed included: the same picture can be drawn again. */
export function valuesFromParams(fields: FieldSpec[], params: Record<string, unknown>): FormValues {
  const values = defaultValues(fields);
  for (const field of fields) {
    const value = params[field.name];
    if (value === undefined || value === null) continue;
    if (field.kind === 'number' || field.kind === 'seed') {
      if (typeof value === 'number') values[field.name] = value;
    } else {
      values[field.name] = String(value);
    }
  }
  return values;
}

/**
 * The parameters to send: empty numbers and a random seed are left out (the API then uses its default and
 * decides the seed), empty optional images too. Anything wrong is the API's to say, beside its field.
 */
export function paramsFromValues(fields: FieldSpec[], values: FormValues): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (field.kind === 'number' || field.kind === 'seed') {
      if (typeof value === 'number' && Number.isFinite(value)) params[field.name] = value;
    } else if (field.kind === 'image') {
      if (typeof value === 'string' && value) params[field.name] = value;
    } else if (typeof value === 'string') {
      params[field.name] = value;
    }
  }
  return params;
}

/** A job's parameters for people: labels and readable values, in the form's order. */
export function describeParams(workflow: WorkflowInfo | undefined, params: Record<string, unknown>): { name: string; label: string; value: string }[] {
  const fields = workflow ? fieldsOf(workflow) : [];
  const position = (name: string) => {
    const index = fields.findIndex((field) => field.name === name);
    return index < 0 ? fields.length : index;
  };
  return Object.keys(params)
    .sort((a, b) => position(a) - position(b))
    .map((name) => {
      const value = params[name];
      const field = fields.find((candidate) => candidate.name === name);
      const unit = LABELS[name]?.unit;
      let text = typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
      if (field?.kind === 'select' && typeof value === 'string') text = optionLabel(value);
      else if (field?.kind === 'image') text = 'An image from your media';
      else if (typeof value === 'number' && unit) text = unit === '×' ? `×${value}` : `${value} ${unit}`;
      return { name, label: field?.label ?? LABELS[name]?.label ?? humanize(name), value: text };
    });
}
