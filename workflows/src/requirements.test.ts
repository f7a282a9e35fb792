import { describe, expect, it } from 'vitest';
import { checkRequirements, describeRequirements, inspectRequirements } from './requirements.ts';

const info = {
  CheckpointLoaderSimple: { input: { required: { ckpt_name: [['sd_xl_base_1.0.safetensors'], {}] } }, output: ['MODEL', 'CLIP', 'VAE'], output_node: false, name: 'CheckpointLoaderSimple', category: 'loaders' },
  LoraLoader: { input: { required: { lora_name: [[]], model: ['MODEL'] } }, output: ['MODEL'], output_node: false, name: 'LoraLoader', category: 'loaders' },
  KSampler: { input: { required: { sampler_name: [['euler', 'dpmpp_2m']] } }, output: ['LATENT'], output_node: false, name: 'KSampler', category: 'sampling' },
  LoadImage: { input: { required: { image: [['example.png'], { image_upload: true }] } }, output: ['IMAGE', 'MASK'], output_node: false, name: 'LoadImage', category: 'image' },
  UNETLoader: { input: { required: { unet_name: ['COMBO', { options: ['flux1-dev.safetensors'] }] } }, output: ['MODEL'], output_node: false, name: 'UNETLoader', category: 'advanced/loaders' },
};

describe('checkRequirements', () => {
  it('passes a graph whose nodes and models the server has', () => {
    const graph = {
      '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd_xl_base_1.0.safetensors' } },
      '2': { class_type: 'KSampler', inputs: { sampler_name: 'euler', model: ['1', 0] } },
      '3': { class_type: 'LoadImage', inputs: { image: 'input.png' } },
      '4': { class_type: 'UNETLoader', inputs: { unet_name: 'flux1-dev.safetensors' } },
    };
    expect(inspectRequirements(info, graph)).toEqual({ ok: true, missingNodes: [], missingModels: [], invalidValues: [] });
    expect(checkRequirements(info, graph)).toEqual([]);
  });

  it('names missing node classes, missing model files (also in V3 combos), and other bad choices', () => {
    const graph = {
      '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'flux.safetensors' } },
      '2': { class_type: 'LoraLoader', inputs: { lora_name: 'comic.safetensors', model: ['1', 0] } },
      '3': { class_type: 'IPAdapterAdvanced', inputs: {} },
      '4': { class_type: 'KSampler', inputs: { sampler_name: 'nope' } },
      '5': { class_type: 'UNETLoader', inputs: { unet_name: 'other.safetensors' } },
    };
    const report = inspectRequirements(info, graph);
    expect(report.ok).toBe(false);
    expect(report.missingNodes).toEqual([{ nodeId: '3', classType: 'IPAdapterAdvanced' }]);
    expect(report.missingModels).toEqual([
      { nodeId: '1', classType: 'CheckpointLoaderSimple', input: 'ckpt_name', value: 'flux.safetensors', available: 1 },
      { nodeId: '2', classType: 'LoraLoader', input: 'lora_name', value: 'comic.safetensors', available: 0 },
      { nodeId: '5', classType: 'UNETLoader', input: 'unet_name', value: 'other.safetensors', available: 1 },
    ]);
    expect(report.invalidValues).toEqual([{ nodeId: '4', classType: 'KSampler', input: 'sampler_name', value: 'nope', allowed: ['euler', 'dpmpp_2m'] }]);
    const lines = describeRequirements(report, 'txt2img-sdxl');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/txt2img-sdxl: node 3 needs node class IPAdapterAdvanced/);
    expect(checkRequirements(info, graph)).toEqual([
      'node class IPAdapterAdvanced',
      'model flux.safetensors (CheckpointLoaderSimple.ckpt_name)',
      'model comic.safetensors (LoraLoader.lora_name)',
      'model other.safetensors (UNETLoader.unet_name)',
      'KSampler.sampler_name = "nope"',
    ]);
  });
});
