// Graph validation as ComfyUI 0.8.0 does it in execution.py (validate_prompt / validate_inputs): the same
// checks in the same order, the same error types, messages and details, and node_errors built the same way
// (including its quirks: an upstream failure is reported once, on the node that failed, with every output
// that was being validated at the time listed as dependent).
import { definedInputs, INPUT_FILE_VALIDATION, type InputSpec, type NodeCatalogue } from './catalogue.ts';
import { orderedKeys, orderedObject, setOrdered } from './ordered-json.ts';
import { keyError, PyException, pyBool, pyEquals, pyFloat, pyFloatRepr, pyInt, pyRepr, pyStr, pyTypeName } from './pyfmt.ts';

export interface ComfyErrorDetail {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface NodeErrorEntry {
  errors: ComfyErrorDetail[];
  dependent_outputs: string[];
  class_type: string;
}

export type NodeErrors = Record<string, NodeErrorEntry>;

export type PromptValidation =
  | { ok: true; outputs: string[]; nodeErrors: NodeErrors }
  | { ok: false; error: ComfyErrorDetail; nodeErrors: NodeErrors };

export interface ValidationContext {
  catalogue: NodeCatalogue;
  /** Whether a LoadImage-style value names a file the server has (`name`, `sub/name`, `name [input]`). */
  inputFileExists: (value: string) => boolean;
}

type Node = { class_type: unknown; inputs?: unknown };
type Prompt = Record<string, Node>;
type Result = [valid: boolean, reasons: ComfyErrorDetail[], id: string];

const MATCH_TYPE = 'COMFY_MATCHTYPE_V3';
const DYNAMIC_TYPES = new Set(['COMFY_AUTOGROW_V3', 'COMFY_DYNAMICCOMBO_V3']);

/** Python-like traceback lines for exceptions raised while validating, as ComfyUI reports them. */
function tracebackFor(inner: boolean): string[] {
  const frames = [
    '  File "<comfyui>/execution.py", line 838, in validate_inputs\n    r = await validate_inputs(prompt_id, prompt, o_id, validated)\n        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n',
    "  File \"<comfyui>/execution.py\", line 818, in validate_inputs\n    o_class_type = prompt[o_id]['class_type']\n                   ~~~~~~^^^^^^\n",
  ];
  return inner ? frames : [
    '  File "<comfyui>/execution.py", line 2097, in validate_prompt\n    m = await validate_inputs(prompt_id, prompt, o, validated)\n        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n',
    frames[1] as string,
  ];
}

function isLinkValue(v: unknown): v is unknown[] {
  return Array.isArray(v);
}

/** comfy_execution/validation.py validate_node_input: exact match, MatchType, or overlapping comma lists. */
export function validateNodeInput(received: unknown, input: unknown): boolean {
  if (pyEquals(received, input)) return true;
  if (received === MATCH_TYPE || input === MATCH_TYPE) return true;
  if (typeof received !== 'string' || typeof input !== 'string') return false;
  // The "*" type (IO.AnyType) accepts anything.
  if (received === '*' || input === '*') return true;
  const r = new Set(received.split(',').map((t) => t.trim()));
  return input.split(',').some((t) => r.has(t.trim()));
}

function pyIndex(list: readonly string[], index: unknown): string {
  if (typeof index === 'boolean') return pyIndex(list, index ? 1 : 0);
  if (typeof index !== 'number' || !Number.isInteger(index)) {
    throw new PyException('TypeError', `tuple indices must be integers or slices, not ${pyTypeName(index)}`);
  }
  const i = index < 0 ? list.length + index : index;
  if (i < 0 || i >= list.length) throw new PyException('IndexError', 'tuple index out of range');
  return list[i] as string;
}

function inputConfig(spec: InputSpec): [unknown, Record<string, unknown>] {
  return [spec[0], spec[1] ?? {}];
}

function formatNumber(v: number, type: unknown): string {
  return type === 'FLOAT' ? pyFloatRepr(v) : pyStr(v);
}

export function validatePrompt(rawPrompt: unknown, partialTargets: unknown, ctx: ValidationContext): PromptValidation {
  const prompt = (rawPrompt && typeof rawPrompt === 'object' && !Array.isArray(rawPrompt) ? rawPrompt : {}) as Prompt;
  const targets = Array.isArray(partialTargets) ? partialTargets.map(String) : undefined;
  const outputs: string[] = [];
  for (const x of orderedKeys(prompt)) {
    const node = prompt[x];
    if (!node || typeof node !== 'object' || !('class_type' in node)) {
      return invalid({ type: 'invalid_prompt', message: 'Cannot execute because a node is missing the class_type property.', details: `Node ID '#${x}'`, extra_info: {} });
    }
    const def = typeof node.class_type === 'string' ? ctx.catalogue.get(node.class_type) : undefined;
    if (!def) {
      return invalid({ type: 'invalid_prompt', message: `Cannot execute because node ${pyStr(node.class_type)} does not exist.`, details: `Node ID '#${x}'`, extra_info: {} });
    }
    if (def.output_node === true && (targets === undefined || targets.includes(x))) outputs.push(x);
  }
  if (outputs.length === 0) {
    return invalid({ type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} });
  }

  const validated = new Map<string, Result>();
  const good: string[] = [];
  const failures: Array<[string, ComfyErrorDetail[]]> = [];
  const nodeErrors: NodeErrors = orderedObject<NodeErrorEntry>([]);
  for (const o of outputs) {
    let valid = false;
    let reasons: ComfyErrorDetail[];
    try {
      [valid, reasons] = validateInputs(prompt, o, validated, ctx);
    } catch (ex) {
      if (!(ex instanceof PyException)) throw ex;
      reasons = [{ type: 'exception_during_validation', message: 'Exception when validating node', details: ex.message, extra_info: { exception_type: ex.pyType, traceback: tracebackFor(false) } }];
      validated.set(o, [false, reasons, o]);
    }
    if (valid) {
      good.push(o);
      continue;
    }
    failures.push([o, reasons]);
    for (const [nodeId, [ok, why]] of validated) {
      if (ok || why.length === 0) continue;
      if (!Object.hasOwn(nodeErrors, nodeId)) setOrdered(nodeErrors, nodeId, { errors: why, dependent_outputs: [], class_type: String(prompt[nodeId]?.class_type) });
      (nodeErrors[nodeId] as NodeErrorEntry).dependent_outputs.push(o);
    }
  }
  if (good.length === 0) {
    const details = failures.flatMap(([, why]) => why.map((e) => `${e.message}: ${e.details}`)).join('\n');
    return { ok: false, error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details, extra_info: {} }, nodeErrors };
  }
  return { ok: true, outputs: good, nodeErrors };
}

function invalid(error: ComfyErrorDetail): PromptValidation {
  return { ok: false, error, nodeErrors: {} };
}

function validateInputs(prompt: Prompt, id: string, validated: Map<string, Result>, ctx: ValidationContext): Result {
  const seen = validated.get(id);
  if (seen) return seen;
  const node = prompt[id] as Node;
  if (!('inputs' in node)) throw keyError('inputs');
  const inputs = (node.inputs ?? {}) as Record<string, unknown>;
  const classType = node.class_type as string;
  const def = ctx.catalogue.get(classType);
  if (!def) throw keyError(classType);
  const custom = INPUT_FILE_VALIDATION[classType];
  const errors: ComfyErrorDetail[] = [];
  let valid = true;

  for (const { name: x, spec, category } of definedInputs(def)) {
    const [inputType, extra] = inputConfig(spec);
    if (typeof inputType === 'string' && DYNAMIC_TYPES.has(inputType)) continue;
    if (!Object.hasOwn(inputs, x)) {
      if (category === 'required') {
        errors.push({ type: 'required_input_missing', message: 'Required input is missing', details: x, extra_info: { input_name: x } });
      }
      continue;
    }
    let val = inputs[x];
    const info = [inputType, extra];
    if (isLinkValue(val)) {
      if (val.length !== 2) {
        errors.push({ type: 'bad_linked_input', message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]', details: x, extra_info: { input_name: x, input_config: info, received_value: val } });
        continue;
      }
      const oId = val[0];
      if (typeof oId !== 'string' || !Object.hasOwn(prompt, oId)) throw keyError(oId);
      const linked = prompt[oId] as Node;
      const linkedDef = ctx.catalogue.get(String(linked.class_type));
      if (!linkedDef) throw keyError(linked.class_type);
      const received = pyIndex(linkedDef.output, val[1]);
      if (!validateNodeInput(received, inputType)) {
        const details = `${x}, received_type(${received}) mismatch input_type(${pyStr(inputType)})`;
        errors.push({ type: 'return_type_mismatch', message: 'Return type mismatch between linked nodes', details, extra_info: { input_name: x, input_config: info, received_type: received, linked_node: val } });
        continue;
      }
      try {
        const [ok] = validateInputs(prompt, oId, validated, ctx);
        if (!ok) valid = false;
      } catch (ex) {
        if (!(ex instanceof PyException)) throw ex;
        valid = false;
        validated.set(oId, [
          false,
          [{ type: 'exception_during_inner_validation', message: 'Exception when validating inner node', details: ex.message, extra_info: { input_name: x, input_config: info, exception_message: ex.message, exception_type: ex.pyType, traceback: tracebackFor(true), linked_node: val } }],
          oId,
        ]);
      }
      continue;
    }

    try {
      if (val && typeof val === 'object' && '__value__' in val) {
        val = (val as { __value__: unknown }).__value__;
        inputs[x] = val;
      }
      if (inputType === 'INT') val = pyInt(val);
      else if (inputType === 'FLOAT') val = pyFloat(val);
      else if (inputType === 'STRING') val = pyStr(val);
      else if (inputType === 'BOOLEAN') val = pyBool(val);
      inputs[x] = val;
    } catch (ex) {
      if (!(ex instanceof PyException)) throw ex;
      errors.push({
        type: 'invalid_input_type',
        message: `Failed to convert an input value to a ${pyStr(inputType)} value`,
        details: `${x}, ${pyStr(val)}, ${ex.message}`,
        extra_info: { input_name: x, input_config: info, received_value: val, exception_message: ex.message },
      });
      continue;
    }

    // A node with its own validation of an input (VALIDATE_INPUTS) skips the built-in checks of that input.
    if (custom?.input === x) continue;
    if (typeof extra.min === 'number' && typeof val === 'number' && val < extra.min) {
      errors.push({ type: 'value_smaller_than_min', message: `Value ${formatNumber(val, inputType)} smaller than min of ${formatNumber(extra.min, inputType)}`, details: x, extra_info: { input_name: x, input_config: info, received_value: val } });
      continue;
    }
    if (typeof extra.max === 'number' && typeof val === 'number' && val > extra.max) {
      errors.push({ type: 'value_bigger_than_max', message: `Value ${formatNumber(val, inputType)} bigger than max of ${formatNumber(extra.max, inputType)}`, details: x, extra_info: { input_name: x, input_config: info, received_value: val } });
      continue;
    }
    if (Array.isArray(inputType) || inputType === 'COMBO') {
      const options = (Array.isArray(inputType) ? inputType : Array.isArray(extra.options) ? extra.options : []) as unknown[];
      if (!options.some((o) => pyEquals(o, val))) {
        const long = options.length > 20;
        errors.push({
          type: 'value_not_in_list',
          message: 'Value not in list',
          details: `${x}: '${pyStr(val)}' not in ${long ? `(list of length ${options.length})` : pyRepr(options)}`,
          extra_info: { input_name: x, input_config: long ? null : info, received_value: val },
        });
        continue;
      }
    }
  }

  if (custom && Object.hasOwn(inputs, custom.input) && !isLinkValue(inputs[custom.input])) {
    const value = inputs[custom.input];
    if (typeof value !== 'string' || !ctx.inputFileExists(value)) {
      errors.push({ type: 'custom_validation_failed', message: 'Custom validation failed for node', details: `${custom.input} - ${custom.label}: ${pyStr(value)}`, extra_info: { input_name: custom.input } });
    }
  }

  const result: Result = errors.length > 0 || !valid ? [false, errors, id] : [true, [], id];
  validated.set(id, result);
  return result;
}
