// Fidelity of graph validation: every invalid graph the recording tried on a real ComfyUI 0.8.0 gets the same
// HTTP status and the same body from the simulator (tooltips aside: the recorded catalogue has none).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComfySimulator, type ComfySimulator } from '../src/simulator/index.ts';
import { postPrompt, promptBody, recordedGraph, recording, variant, withoutTooltips, type Graph } from './comfyui-fixtures.ts';

type Recorded = { status: number; body: Record<string, unknown> };
const invalid = (): Record<string, Recorded> => recording<{ invalid_prompts: Record<string, Recorded> }>('recording-protocol.json').invalid_prompts;

/** The requests behind each recorded answer (the recording kept the answers; these graphs produce them). */
const CASES: Record<string, () => string> = {
  unknown_class: () => promptBody({ ...recordedGraph(), '10': { class_type: 'NoSuchNode', inputs: {} } }),
  missing_required_input: () => {
    const g = recordedGraph();
    delete (g['3'] as Graph[string]).inputs.steps;
    return promptBody(g);
  },
  value_not_in_list: () => promptBody(variant({ '4': { ckpt_name: 'does_not_exist.safetensors' } })),
  invalid_input_type: () => promptBody(variant({ '3': { steps: 'abc' } })),
  value_bigger_than_max: () => promptBody(variant({ '3': { steps: 100000 } })),
  link_to_missing_node: () => promptBody(variant({ '8': { samples: ['99', 0] } })),
  link_type_mismatch: () => promptBody(variant({ '8': { vae: ['6', 0] } })),
  no_output_node: () => {
    const g = recordedGraph();
    delete g['9'];
    return promptBody(g);
  },
  missing_class_type: () => {
    const g = recordedGraph();
    delete (g['9'] as Partial<Graph[string]>).class_type;
    return promptBody(g);
  },
  no_prompt_key: () => JSON.stringify({ client_id: 'x' }),
  loadimage_missing_file: () => promptBody({ '1': { class_type: 'LoadImage', inputs: { image: 'nope.png' } }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'probe' } } }, {}, ['1', '2']),
};

let sim: ComfySimulator;

beforeAll(async () => {
  // The recorded server had one checkpoint: the error details list the allowed values.
  sim = await createComfySimulator({ port: 0, stepMs: 0, models: { checkpoints: ['probe_sd15_random.safetensors'] } });
});

afterAll(async () => {
  await sim.close();
});

describe('POST /prompt with an invalid graph answers as ComfyUI 0.8.0 did', () => {
  it('covers every recorded case', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(invalid()).sort());
  });

  for (const name of Object.keys(CASES)) {
    it(name, async () => {
      const recorded = invalid()[name] as Recorded;
      const { status, json } = await postPrompt(sim.url, (CASES[name] as () => string)());
      expect(status).toBe(recorded.status);
      // Same error, same nodes in the same order, same errors with the same messages and details.
      expect(withoutTooltips(json)).toEqual(withoutTooltips(recorded.body));
      expect(Object.keys(json.node_errors as object)).toEqual(Object.keys(recorded.body.node_errors as object));
    });
  }
});

describe('validation beyond the recorded cases', () => {
  it('accepts the recorded graph and runs it', async () => {
    const { status, json } = await postPrompt(sim.url, promptBody(recordedGraph()));
    expect(status).toBe(200);
    expect(json).toMatchObject({ node_errors: {} });
    expect(typeof json.prompt_id).toBe('string');
  });

  it('reports a value below the minimum with Python number formatting', async () => {
    const { status, json } = await postPrompt(sim.url, promptBody(variant({ '3': { cfg: -1 } })));
    expect(status).toBe(400);
    const error = (json.node_errors as Record<string, { errors: Array<{ type: string; message: string; details: string }> }>)['3']?.errors[0];
    expect(error).toMatchObject({ type: 'value_smaller_than_min', message: 'Value -1.0 smaller than min of 0.0', details: 'cfg' });
  });

  it('lists long combos by length, as ComfyUI does for more than 20 choices', async () => {
    const { json } = await postPrompt(sim.url, promptBody(variant({ '3': { sampler_name: 'no_such_sampler' } })));
    const error = (json.node_errors as Record<string, { errors: Array<{ details: string; extra_info: Record<string, unknown> }> }>)['3']?.errors[0];
    expect(error?.details).toBe("sampler_name: 'no_such_sampler' not in (list of length 44)");
    expect(error?.extra_info.input_config).toBeNull();
  });

  it('reports an error on the output node itself in the top-level details', async () => {
    const g = recordedGraph();
    delete (g['9'] as Graph[string]).inputs.filename_prefix;
    const { status, json } = await postPrompt(sim.url, promptBody(g));
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ type: 'prompt_outputs_failed_validation', details: 'Required input is missing: filename_prefix' });
  });

  it('runs the valid outputs of a graph and reports the invalid ones', async () => {
    const g: Graph = { ...recordedGraph(), '10': { class_type: 'SaveImage', inputs: { images: ['8', 0] } } };
    const { status, json } = await postPrompt(sim.url, promptBody(g));
    expect(status).toBe(200);
    expect(Object.keys(json.node_errors as object)).toEqual(['10']);
  });

  it('converts widget values before queueing, as ComfyUI does (int("3"), int(7.9))', async () => {
    const g = variant({ '3': { steps: '3', seed: 7.9 } });
    const { status, json } = await postPrompt(sim.url, promptBody(g));
    expect(status).toBe(200);
    const id = json.prompt_id as string;
    await sim.waitForPrompt(id);
    const history = (await (await fetch(`${sim.url}/history/${id}`)).json()) as Record<string, { prompt: unknown[] }>;
    expect((history[id]?.prompt[2] as Graph)['3']?.inputs).toMatchObject({ steps: 3, seed: 7 });
  });
});
