// Texts the simulator answers with, taken from what a real ComfyUI 0.8.0 on an H100 sent (see
// gpu-worker/test/fixtures/comfyui/README.md): feature flags, the out-of-memory and corrupt-checkpoint errors, and the shape of
// /system_stats (its device labelled as simulated).
import { freemem, totalmem } from 'node:os';

export const COMFYUI_VERSION = '0.8.0';

/** GET /features, and the `feature_flags` message answered to a client that announces its own. */
export const SERVER_FEATURES = {
  supports_preview_metadata: true,
  max_upload_size: 104857600,
  extension: { manager: { supports_v4: true } },
};

export const SIMULATED_DEVICE_NAME = 'sim:0 Inkwell ComfyUI simulator (simulated, no GPU)';

export function systemStats(argv: string[]): Record<string, unknown> {
  return {
    system: {
      os: process.platform,
      ram_total: totalmem(),
      ram_free: freemem(),
      comfyui_version: COMFYUI_VERSION,
      required_frontend_version: '1.35.9',
      installed_templates_version: null,
      required_templates_version: '0.7.67',
      python_version: `simulated (Node.js ${process.versions.node})`,
      pytorch_version: 'simulated',
      embedded_python: false,
      argv,
      simulated: true,
    },
    devices: [
      {
        name: SIMULATED_DEVICE_NAME,
        type: 'cpu',
        index: 0,
        vram_total: 85017493504,
        vram_free: 84465090560,
        torch_vram_total: 0,
        torch_vram_free: 0,
      },
    ],
  };
}

const EXECUTE_FRAMES = [
  '  File "<comfyui>/execution.py", line 518, in execute\n    output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, v3_data=v3_data)\n',
  '  File "<comfyui>/execution.py", line 329, in get_output_data\n    return_values = await _async_map_node_over_list(prompt_id, unique_id, obj, input_data_all, obj.FUNCTION, allow_interrupt=True, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, v3_data=v3_data)\n',
  '  File "<comfyui>/execution.py", line 303, in _async_map_node_over_list\n    await process_inputs(input_dict, i)\n',
  '  File "<comfyui>/execution.py", line 291, in process_inputs\n    result = f(**inputs)\n             ^^^^^^^^^^^\n',
];

export interface SimulatedException {
  exceptionType: string;
  /** str(ex); ComfyUI appends "\n" and its tips to it. */
  message: string;
  tips: string;
  traceback: string[];
}

const OOM_TIPS = 'This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number.';

/** torch.OutOfMemoryError in KSampler, as recorded (1024×1024, batch 4096). */
export const OUT_OF_MEMORY: SimulatedException = {
  exceptionType: 'torch.OutOfMemoryError',
  message:
    'Allocation on device 0 would exceed allowed memory. (out of memory)\nCurrently allocated     : 51.00 GiB\nRequested               : 40.00 GiB\nDevice limit            : 79.18 GiB\nFree (according to CUDA): 20.12 MiB\nPyTorch limit (set by user-supplied memory fraction)\n                        : 17179869184.00 GiB',
  tips: OOM_TIPS,
  traceback: [
    ...EXECUTE_FRAMES,
    '  File "<comfyui>/nodes.py", line 1542, in sample\n    return common_ksampler(model, seed, steps, cfg, sampler_name, scheduler, positive, negative, latent_image, denoise=denoise)\n',
    '  File "<comfyui>/comfy/sample.py", line 60, in sample\n    samples = sampler.sample(noise, positive, negative, cfg=cfg, latent_image=latent_image, start_step=start_step, last_step=last_step, force_full_denoise=force_full_denoise, denoise_mask=noise_mask, sigmas=sigmas, callback=callback, disable_pbar=disable_pbar, seed=seed)\n',
  ],
};

/** A checkpoint file that is not a valid safetensors file, as recorded. */
export const CORRUPT_CHECKPOINT: SimulatedException = {
  exceptionType: 'safetensors._safetensors_rust.SafetensorError',
  message: 'Error while deserializing header: header too large',
  tips: '',
  traceback: [
    ...EXECUTE_FRAMES,
    '  File "<comfyui>/nodes.py", line 585, in load_checkpoint\n    out = comfy.sd.load_checkpoint_guess_config(ckpt_path, output_vae=True, output_clip=True, embedding_directory=folder_paths.get_folder_paths("embeddings"))\n',
    '  File "<comfyui>/comfy/utils.py", line 64, in load_torch_file\n    with safetensors.safe_open(ckpt, framework="pt", device=device.type) as f:\n',
  ],
};

/** The model file the simulated server has but cannot load. */
export const CORRUPT_MODEL_FILE = 'broken.safetensors';

export function injectedException(message: string | undefined, exceptionType: string | undefined): SimulatedException {
  return {
    exceptionType: exceptionType ?? 'RuntimeError',
    message: message ?? 'Simulated failure (fault injected into the ComfyUI simulator)',
    tips: '',
    traceback: [...EXECUTE_FRAMES, '  File "<simulator>/faults.py", line 1, in fail\n    raise RuntimeError(message)\n'],
  };
}
