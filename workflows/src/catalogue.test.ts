import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import ipadapter from '../custom-nodes/ipadapter-plus.json' with { type: 'json' };
import { WORKFLOWS, type WorkflowDefinition, findWorkflow } from './catalogue.ts';
import { type ApiGraph, isLink } from './graph.ts';
import { limitsFor } from './params.ts';
import { publicCatalogue } from './public.ts';
import { renderGraph } from './render.ts';

type InputSpec = [unknown, Record<string, unknown>?];
interface NodeInfo {
  input: { required?: Record<string, InputSpec>; optional?: Record<string, InputSpec> };
  output: string[];
  output_node: boolean;
}

// What a real ComfyUI 0.8.0 answered to GET /object_info (the recording the worker's tests keep),
// plus the custom-node pack our reference-image workflows need.
const recorded = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../gpu-worker/test/fixtures/comfyui/object_info.json', import.meta.url)), 'utf8'),
) as Record<string, NodeInfo>;
const catalogue: Record<string, NodeInfo> = { ...recorded, ...(ipadapter as unknown as Record<string, NodeInfo>) };

/** The checks ComfyUI's validate_prompt makes, enough to know a graph would be accepted. */
function problems(graph: ApiGraph): string[] {
  const found: string[] = [];
  let outputs = 0;
  for (const [id, node] of Object.entries(graph)) {
    const info = catalogue[node.class_type];
    if (!info) {
      found.push(`${id}: unknown node class ${node.class_type}`);
      continue;
    }
    if (info.output_node) outputs++;
    const specs = { ...info.input.optional, ...info.input.required };
    for (const name of Object.keys(info.input.required ?? {})) {
      if (!(name in node.inputs)) found.push(`${id} ${node.class_type}: missing required input ${name}`);
    }
    for (const [name, value] of Object.entries(node.inputs)) {
      const spec = specs[name];
      if (!spec) {
        found.push(`${id} ${node.class_type}: unknown input ${name}`);
        continue;
      }
      const [type, options = {}] = spec;
      if (isLink(value)) {
        const source = graph[value[0]];
        const produced = source && catalogue[source.class_type]?.output[value[1]];
        if (!produced) found.push(`${id}.${name}: link to missing node or output ${value.join(':')}`);
        else if (typeof type === 'string' && produced !== type) found.push(`${id}.${name}: ${produced} linked where ${type} is expected`);
        continue;
      }
      // Model files and input images depend on what a server holds (the recording's lists are empty);
      // every other list is fixed by the node and checked.
      const choices = Array.isArray(type) ? type : type === 'COMBO' ? (options.options as unknown[]) : undefined;
      const serverFiles = name === 'image' || /^(ckpt|unet|vae|clip|lora|style_model|control_net|upscale_model)_name\d?$/.test(name);
      if (choices && !serverFiles && !choices.includes(value)) found.push(`${id}.${name}: ${String(value)} not in list`);
      if ((type === 'INT' || type === 'FLOAT') && typeof value === 'number') {
        if (typeof options.min === 'number' && value < options.min) found.push(`${id}.${name}: below minimum`);
        if (typeof options.max === 'number' && value > options.max) found.push(`${id}.${name}: above maximum`);
      }
    }
  }
  if (outputs === 0) found.push('no output node');
  return found;
}

const MEDIA = '3f2a1c9e-0000-4000-8000-000000000001';
const sample: Record<string, Record<string, unknown>> = {
  'txt2img-sdxl': { prompt: 'a lighthouse in a storm' },
  'txt2img-flux': { prompt: 'a sign that says INKWELL' },
  'img2img-sdxl': { prompt: 'as a watercolour', inputImage: MEDIA },
  'character-reference': { prompt: 'the keeper reading a letter', referenceImage: MEDIA },
  'comic-panel': { prompt: 'the keeper climbs the stairs', style: 'noir' },
  'character-sheet': { prompt: 'a lighthouse keeper, grey beard, red coat' },
  'img2video-svd': { inputImage: MEDIA },
  'gif-svd': { inputImage: MEDIA },
  upscale: { inputImage: MEDIA },
};

/** What the worker would have uploaded: each image under a name of its own. */
function uploadsFor(workflow: WorkflowDefinition, params: Record<string, unknown>): Record<string, string> {
  const names = [...workflow.imageParams.filter((p) => params[p]), ...Object.keys(workflow.extraImages?.(params) ?? {})];
  return Object.fromEntries(names.map((p) => [p, `inkwell-${p}.png`]));
}

describe('the workflow catalogue', () => {
  it('has a sample for every workflow (so each is rendered and checked below)', () => {
    expect(Object.keys(sample).sort()).toEqual(WORKFLOWS.map((w) => w.id).sort());
  });

  for (const workflow of WORKFLOWS) {
    it(`${workflow.id}: renders a graph that ComfyUI's validation accepts, with every parameter in place`, () => {
      const params = workflow.params(limitsFor(2)).parse({ ...sample[workflow.id], seed: 424242 });
      const uploads = uploadsFor(workflow, params);
      const graph = renderGraph(workflow, params, uploads);
      expect(problems(graph)).toEqual([]);
      const output = workflow.output(params);
      expect(catalogue[graph[output.node]!.class_type]!.output_node).toBe(true);

      const written = JSON.stringify(graph);
      if ('seed' in workflow.params(limitsFor(2)).shape) expect(written).toContain('424242');
      for (const [param, name] of Object.entries(uploads)) expect(written, param).toContain(name);
      if (typeof params.prompt === 'string') expect(written).toContain(params.prompt);
    });
  }

  it('comic panels carry the style, and switch to the IP-Adapter graph with a character reference', () => {
    const panel = findWorkflow('comic-panel')!;
    const plain = renderGraph(panel, panel.params(limitsFor(2)).parse({ prompt: 'a cat', style: 'manga' }));
    expect(JSON.stringify(plain)).toContain('screentone');
    expect(Object.values(plain).some((n) => n.class_type === 'IPAdapterAdvanced')).toBe(false);

    const params = panel.params(limitsFor(2)).parse({ prompt: 'a cat', style: 'manga', referenceImage: MEDIA });
    const withReference = renderGraph(panel, params, { referenceImage: 'ref.png' });
    expect(Object.values(withReference).some((n) => n.class_type === 'IPAdapterAdvanced')).toBe(true);
    expect(problems(withReference)).toEqual([]);
    expect(withReference[panel.output(params).node]!.class_type).toBe('SaveImage');
  });

  it('comic panels draw their characters: each one’s references batched into an IP-Adapter of its own, its description in the prompt', () => {
    const panel = findWorkflow('comic-panel')!;
    const input = { prompt: 'two friends on a bench', style: 'manga', characters: [MEDIA, MEDIA.replace('1', '2')], referenceImage: MEDIA };
    const cast = [
      { id: 'c1', name: 'Mara', description: 'tall woman, green scarf', referenceMediaIds: ['m1', 'm2'] },
      { id: 'c2', name: 'Otto', description: 'small boy, round glasses', referenceMediaIds: ['m3'] },
    ];
    const params = { ...panel.params(limitsFor(2)).parse(input), cast };
    expect(panel.extraImages!(params)).toEqual({ 'cast.0.0': 'm1', 'cast.0.1': 'm2', 'cast.1.0': 'm3' });
    const uploads = uploadsFor(panel, params);
    const graph = renderGraph(panel, params, uploads);
    expect(problems(graph)).toEqual([]);
    const nodes = Object.values(graph);
    // Mara, Otto and the loose reference: three adapters, chained, the last one feeding the sampler.
    const adapters = nodes.filter((n) => n.class_type === 'IPAdapterAdvanced');
    expect(adapters).toHaveLength(3);
    expect(nodes.filter((n) => n.class_type === 'ImageBatch')).toHaveLength(1);
    const sampler = nodes.find((n) => n.class_type === 'KSampler')!;
    expect(graph[(sampler.inputs.model as [string, number])[0]]!.class_type).toBe('IPAdapterAdvanced');
    for (const name of Object.values(uploads)) expect(nodes.some((n) => n.class_type === 'LoadImage' && n.inputs.image === name)).toBe(true);
    expect(adapters.every((n) => Math.abs((n.inputs.weight as number) - 0.8 / Math.sqrt(3)) < 1e-9)).toBe(true);
    const positive = JSON.stringify(graph);
    expect(positive).toContain('two friends on a bench, Mara, tall woman, green scarf; Otto, small boy, round glasses, manga panel');
    expect(graph[panel.output(params).node]!.class_type).toBe('SaveImage');

    expect(panel.params(limitsFor(2)).safeParse({ prompt: 'x', characters: [MEDIA, MEDIA] }).success).toBe(false);
    const four = ['1', '2', '3', '4'].map((d) => MEDIA.replace('1', d));
    expect(panel.params(limitsFor(2)).safeParse({ prompt: 'x', characters: four }).error!.issues[0]!.message).toMatch(/At most 3 characters/);
  });

  it('a character sheet draws the front view, then the side view keeping the front’s character, side by side', () => {
    const sheet = findWorkflow('character-sheet')!;
    const params = sheet.params(limitsFor(2)).parse({ prompt: 'a knight in blue armour', width: 1024, height: 768 });
    const graph = renderGraph(sheet, params);
    const text = (id: string) => graph[id]!.inputs.text as string;
    expect(text('2')).toMatch(/front view.*a knight in blue armour.*plain white background/);
    expect(text('3')).toMatch(/side view.*a knight in blue armour.*plain white background/);
    expect(graph['5']!.inputs.width).toBe(512);
    expect(graph['9']!.inputs.image).toEqual(['7', 0]);
    expect(graph['12']).toMatchObject({ class_type: 'ImageStitch', inputs: { image1: ['7', 0], image2: ['11', 0], direction: 'right' } });
  });

  it('limits what a role may ask for', () => {
    const sdxl = findWorkflow('txt2img-sdxl')!;
    const big = { prompt: 'x', width: 1536, height: 1536, steps: 50 };
    const asUser = sdxl.params(limitsFor(2)).safeParse(big);
    expect(asUser.success).toBe(false);
    expect(asUser.error!.issues.map((i) => i.path[0])).toEqual(['width', 'height', 'steps']);
    expect(sdxl.params(limitsFor(3)).safeParse(big).success).toBe(true);
    expect(sdxl.params(limitsFor(2)).safeParse({ prompt: 'x', width: 1000 }).error!.issues[0]!.message).toMatch(/multiple of 64/);
    expect(sdxl.params(limitsFor(2)).safeParse({ prompt: '' }).success).toBe(false);
    expect(findWorkflow('img2video-svd')!.permission).toBe('jobs:create-advanced');
  });

  it('lists each workflow with a JSON Schema of its parameters for the caller’s role', () => {
    const forUser = publicCatalogue(2).find((w) => w.id === 'txt2img-sdxl')!;
    const forCreator = publicCatalogue(3).find((w) => w.id === 'txt2img-sdxl')!;
    const width = (w: typeof forUser) => (w.params as { properties: Record<string, { maximum?: number }> }).properties.width!;
    expect(width(forUser).maximum).toBe(1024);
    expect(width(forCreator).maximum).toBe(1536);
    expect((forUser.params as { required: string[] }).required).toContain('prompt');
  });
});
