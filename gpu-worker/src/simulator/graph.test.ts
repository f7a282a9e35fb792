import { describe, expect, it } from 'vitest';
import { ExecutionList, inputSignatures, type Graph } from './graph.ts';

const graph: Graph = {
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'a.safetensors' } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a cat', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry', clip: ['4', 1] } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
  '3': { class_type: 'KSampler', inputs: { seed: 1, steps: 20, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] } },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'probe', images: ['8', 0] } },
};

function order(cached: string[] = []): string[] {
  const list = new ExecutionList(graph, { isCached: (id) => cached.includes(id), isOutput: (id) => id === '9', isLazy: () => false });
  list.addNode('9');
  const out: string[] = [];
  while (!list.isEmpty()) {
    const id = list.stage() as string;
    out.push(id);
    list.complete(id);
  }
  return out;
}

describe('ExecutionList', () => {
  it('runs nodes in the order ComfyUI did (4, 5, 7, 6, 3, 8, 9)', () => {
    expect(order()).toEqual(['4', '5', '7', '6', '3', '8', '9']);
  });

  it('skips cached nodes but still visits a cached output', () => {
    expect(order(['4', '5', '6', '7'])).toEqual(['3', '8', '9']);
    expect(order(['4', '5', '6', '7', '3', '8', '9'])).toEqual(['9']);
  });
});

describe('inputSignatures', () => {
  it('changes downstream of a changed input only', () => {
    const a = inputSignatures(graph, () => '');
    const b = inputSignatures({ ...graph, '3': { ...graph['3'], inputs: { ...(graph['3'] as Graph[string]).inputs, seed: 2 } } } as Graph, () => '');
    expect(['4', '5', '6', '7'].map((id) => a.get(id) === b.get(id))).toEqual([true, true, true, true]);
    expect(['3', '8', '9'].map((id) => a.get(id) === b.get(id))).toEqual([false, false, false]);
  });
});
