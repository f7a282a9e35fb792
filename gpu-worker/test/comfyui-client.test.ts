// The client and the simulator together, end to end: a text-to-image graph run and its picture fetched,
// previews, refused graphs and failed runs, interrupting a running prompt, deleting a queued one, uploading an
// input image for LoadImage, and a ComfyUI that drops its websocket, crashes, or comes back empty.
import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkRequirements } from '@inkwell/workflows';
import {
  ComfyConnectionError,
  ComfyExecutionError,
  ComfyInterruptedError,
  ComfyPromptLostError,
  ComfyValidationError,
  createComfyClient,
  outputFiles,
  type ComfyClient,
  type ComfyConnectionEvent,
  type ComfyClientOptions,
  type ComfyGraph,
  type PromptPreview,
} from '../src/comfyui/client.ts';
import { createComfyEventStream } from '../src/comfyui/event-stream.ts';
import { type ComfyRoutes, createComfyRoutes } from '../src/comfyui/routes.ts';
import { createComfySimulator, type ComfySimulator, type ComfySimulatorOptions } from '../src/simulator/index.ts';
import { firstStep, run } from './comfyui-prompt.ts';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A simulator, a client of it, and its HTTP routes (to look at its queue and history). */
async function setup(simOptions: ComfySimulatorOptions = {}, clientOptions: Partial<ComfyClientOptions> = {}): Promise<{ sim: ComfySimulator; client: ComfyClient; routes: ComfyRoutes }> {
  const sim = await createComfySimulator({ port: 0, stepMs: 2, ...simOptions });
  const client = createComfyClient({ baseUrl: sim.url, reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, ...clientOptions });
  cleanup.push(() => sim.close(), () => client.close());
  return { sim, client, routes: createComfyRoutes({ baseUrl: sim.url }) };
}

/** A realistic API-format text-to-image graph, its checkpoint taken from the server's catalogue. */
function txt2img(ckpt: string, opts: { seed?: number; steps?: number; width?: number; height?: number; text?: string; prefix?: string } = {}): ComfyGraph {
  return {
    '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: ckpt } },
    '2': { class_type: 'CLIPTextEncode', inputs: { text: opts.text ?? 'a knight on a red horse, comic style', clip: ['1', 1] } },
    '3': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry, low quality', clip: ['1', 1] } },
    '4': { class_type: 'EmptyLatentImage', inputs: { width: opts.width ?? 640, height: opts.height ?? 384, batch_size: 1 } },
    '5': { class_type: 'KSampler', inputs: { seed: opts.seed ?? 42, steps: opts.steps ?? 8, cfg: 7, sampler_name: 'euler_ancestral', scheduler: 'karras', denoise: 1, model: ['1', 0], positive: ['2', 0], negative: ['3', 0], latent_image: ['4', 0] } },
    '6': { class_type: 'VAEDecode', inputs: { samples: ['5', 0], vae: ['1', 2] } },
    '7': { class_type: 'SaveImage', inputs: { filename_prefix: opts.prefix ?? 'inkwell/txt2img', images: ['6', 0] } },
  };
}

async function checkpoint(client: ComfyClient): Promise<string> {
  const info = await client.objectInfo('CheckpointLoaderSimple');
  const choices = info.CheckpointLoaderSimple?.input.required?.ckpt_name?.[0] as string[];
  return choices.find((c) => c.startsWith('sd_xl_base')) as string;
}

describe('a text-to-image job end to end', () => {
  it('checks requirements, runs, reports progress in order, and fetches the picture', async () => {
    const { client } = await setup();
    const ckpt = await checkpoint(client);
    const graph = txt2img(ckpt, { steps: 8 });
    expect(checkRequirements(await client.objectInfo(), graph)).toEqual([]);
    expect((await client.systemStats()).devices[0]?.name).toMatch(/simulated/);

    const progress: string[] = [];
    const nodes: string[] = [];
    const result = await run(client, graph, { onProgress: (p) => progress.push(`${p.node}:${p.value}/${p.max}`), onNode: (n) => nodes.push(n.node) });
    expect(progress).toEqual(Array.from({ length: 8 }, (_, i) => `5:${i + 1}/8`));
    expect(nodes).toEqual(['1', '4', '3', '2', '5', '6', '7']);
    expect(result.files).toEqual([{ filename: 'txt2img_00001_.png', subfolder: 'inkwell', type: 'output', nodeId: '7', kind: 'images', animated: false }]);
    expect(result.source).toBe('websocket');

    const bytes = await client.view(result.files[0] as { filename: string; subfolder: string; type: string });
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 640, 384]);

    // An identical resubmission is fully cached: no node runs, the same file comes back.
    const again = await run(client, graph);
    expect(again.cachedNodes).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(again.files.map((f) => f.filename)).toEqual(['txt2img_00001_.png']);
  });

  it('previews arrive with their prompt (type 4 frames), one per step', async () => {
    const { client } = await setup();
    const previews: PromptPreview[] = [];
    const result = await run(client, txt2img(await checkpoint(client), { steps: 5 }), { extraData: { preview_method: 'latent2rgb' }, onPreview: (_image, _type, p) => previews.push(p) });
    expect(previews).toHaveLength(5);
    expect(previews.every((p) => p.binaryType === 4 && p.promptId === result.promptId && p.node === '5')).toBe(true);
    expect((await sharp(previews[4]?.image).metadata()).format).toBe('jpeg');
  });

  it('a client that does not ask for metadata gets legacy frames (type 1), still given to its prompt', async () => {
    const { client } = await setup({}, { previewMetadata: false });
    const previews: PromptPreview[] = [];
    const result = await run(client, txt2img(await checkpoint(client), { steps: 3 }), { extraData: { preview_method: 'auto' }, onPreview: (_image, _type, p) => previews.push(p) });
    expect(previews.map((p) => [p.binaryType, p.promptId, p.mimeType])).toEqual(Array.from({ length: 3 }, () => [1, result.promptId, 'image/jpeg']));
  });

  it('a caller-chosen prompt id is honoured', async () => {
    const { client, routes } = await setup();
    const result = await run(client, txt2img(await checkpoint(client), { steps: 1 }), { promptId: 'job-123-attempt-1' });
    expect(result.promptId).toBe('job-123-attempt-1');
    expect((await routes.history('job-123-attempt-1'))?.status?.status_str).toBe('success');
    // The same id submitted again is followed afresh, not answered from the earlier run.
    const progress: number[] = [];
    await run(client, txt2img(await checkpoint(client), { steps: 3, seed: 9 }), { promptId: 'job-123-attempt-1', onProgress: (p) => progress.push(p.value) });
    expect(progress).toEqual([1, 2, 3]);
  });

  it('an animated output is flagged as such', async () => {
    const { client } = await setup();
    const graph: ComfyGraph = {
      '1': { class_type: 'EmptyHunyuanLatentVideo', inputs: { width: 128, height: 96, length: 6, batch_size: 1 } },
      '2': { class_type: 'VAELoader', inputs: { vae_name: 'ae.safetensors' } },
      '3': { class_type: 'VAEDecode', inputs: { samples: ['1', 0], vae: ['2', 0] } },
      '4': { class_type: 'SaveAnimatedWEBP', inputs: { images: ['3', 0], filename_prefix: 'inkwell/gif', fps: 8, lossless: false, quality: 85, method: 'default' } },
    };
    const result = await run(client, graph);
    expect(result.files).toEqual([{ filename: 'gif_00001_.webp', subfolder: 'inkwell', type: 'output', nodeId: '4', kind: 'images', animated: true }]);
    const meta = await sharp(await client.view(result.files[0] as { filename: string }), { animated: true }).metadata();
    expect(meta.pages).toBe(6);
  });
});

describe('failures are typed', () => {
  it('a graph ComfyUI refuses: ComfyValidationError with the node errors', async () => {
    const { client } = await setup();
    const error = await client.submit(txt2img('not_a_model.safetensors')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComfyValidationError);
    const v = error as ComfyValidationError;
    expect(v.type).toBe('prompt_outputs_failed_validation');
    expect(v.nodeErrors['1']?.errors[0]).toMatchObject({ type: 'value_not_in_list', extra_info: { input_name: 'ckpt_name', received_value: 'not_a_model.safetensors' } });
    expect(v.message).toMatch(/node 1 \(CheckpointLoaderSimple\): Value not in list \(ckpt_name: 'not_a_model.safetensors' not in \[/);
    expect(checkRequirements(await client.objectInfo(), txt2img('not_a_model.safetensors'))).toEqual(['model not_a_model.safetensors (CheckpointLoaderSimple.ckpt_name)']);
  });

  it('a node error at run time: ComfyExecutionError with node, class and exception', async () => {
    const { sim, client } = await setup();
    sim.failNext({ classType: 'VAEDecode', message: 'CUDA error: an illegal memory access was encountered', exceptionType: 'torch.AcceleratorError' });
    const error = await run(client, txt2img(await checkpoint(client), { steps: 2 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComfyExecutionError);
    expect(error).toMatchObject({ nodeId: '6', nodeType: 'VAEDecode', exceptionType: 'torch.AcceleratorError', isOutOfMemory: false, executed: ['1', '4', '3', '2', '5'] });
    expect((error as Error).message).toBe('ComfyUI failed at node 6 (VAEDecode): torch.AcceleratorError: CUDA error: an illegal memory access was encountered');
  });

  it('out of memory is recognisable', async () => {
    const { client } = await setup();
    const graph = txt2img(await checkpoint(client), { width: 1024, height: 1024 });
    (graph['4'] as ComfyGraph[string]).inputs.batch_size = 4096;
    const error = (await run(client, graph).catch((e: unknown) => e)) as ComfyExecutionError;
    expect(error).toBeInstanceOf(ComfyExecutionError);
    expect([error.isOutOfMemory, error.nodeType, error.exceptionType]).toEqual([true, 'KSampler', 'torch.OutOfMemoryError']);
  });
});

describe('cancelling', () => {
  it('interrupting a running prompt rejects its wait with ComfyInterruptedError', async () => {
    const { client, routes } = await setup({ stepMs: 30 });
    const { promptId } = await client.submit(txt2img(await checkpoint(client), { steps: 100 }));
    const step = firstStep();
    const waiting = client.waitForPrompt(promptId, { onProgress: step.onProgress }).catch((e: unknown) => e);
    await step.reached;
    await client.interrupt(promptId);
    const error = await waiting;
    expect(error).toBeInstanceOf(ComfyInterruptedError);
    expect(error).toMatchObject({ promptId, nodeId: '5', nodeType: 'KSampler' });
    expect(await routes.queue()).toEqual({ running: [], pending: [] });
  });

  it('deleting a queued prompt: it never runs, its wait reports it lost, the running one is untouched', async () => {
    const { client, routes } = await setup({ stepMs: 30 });
    const ckpt = await checkpoint(client);
    const a = await client.submit(txt2img(ckpt, { steps: 20, seed: 1 }));
    const b = await client.submit(txt2img(ckpt, { steps: 20, seed: 2 }));
    const step = firstStep();
    const waitA = client.waitForPrompt(a.promptId, { onProgress: step.onProgress });
    const waitB = client.waitForPrompt(b.promptId).catch((e: unknown) => e);
    await step.reached;
    expect((await routes.queue()).pending.map((e) => e.promptId)).toEqual([b.promptId]);
    await client.deleteQueued([b.promptId]);
    expect((await routes.queue()).pending).toEqual([]);
    const error = await waitB;
    expect(error).toBeInstanceOf(ComfyPromptLostError);
    expect(error).toMatchObject({ promptId: b.promptId });
    expect(outputFiles((await waitA).outputs)).toHaveLength(1);
    expect(await routes.history(b.promptId)).toBeUndefined();
  });

  it('an aborted wait rejects with the abort reason and leaves the prompt running', async () => {
    const { sim, client } = await setup({ stepMs: 20 });
    const { promptId } = await client.submit(txt2img(await checkpoint(client), { steps: 10 }));
    const controller = new AbortController();
    const waiting = client.waitForPrompt(promptId, { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort(new Error('job cancelled'));
    expect(await waiting).toMatchObject({ message: 'job cancelled' });
    expect(await sim.waitForPrompt(promptId)).toBe('success');
  });
});

describe('input images', () => {
  it('an uploaded image is stored, and LoadImage uses it', async () => {
    const { client } = await setup();
    const png = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 10, g: 200, b: 90 } } }).png().toBuffer();
    const uploaded = await client.uploadImage(png, 'character.png', { subfolder: 'refs' });
    expect(uploaded).toBe('refs/character.png');
    expect(await client.uploadImage(await sharp(png).negate().png().toBuffer(), 'character.png', { subfolder: 'refs' })).toBe('refs/character (1).png');
    expect(await client.uploadImage(png, 'plain.png')).toBe('plain.png');
    const graph: ComfyGraph = {
      '1': { class_type: 'LoadImage', inputs: { image: uploaded } },
      '2': { class_type: 'ImageScaleBy', inputs: { image: ['1', 0], upscale_method: 'lanczos', scale_by: 2 } },
      '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'inkwell/upscale' } },
    };
    const result = await run(client, graph);
    const meta = await sharp(await client.view(result.files[0] as { filename: string; subfolder: string })).metadata();
    expect([meta.width, meta.height]).toEqual([640, 480]);
    // Without the upload the same graph is refused, as ComfyUI refuses a missing input file.
    (graph['1'] as ComfyGraph[string]).inputs.image = 'refs/missing.png';
    const error = (await client.submit(graph).catch((e: unknown) => e)) as ComfyValidationError;
    expect(error.nodeErrors['1']?.errors[0]).toMatchObject({ type: 'custom_validation_failed', details: 'image - Invalid image file: refs/missing.png' });
  });
});

describe('a ComfyUI that goes away', () => {
  it('the websocket drops mid-prompt: the client reconnects and still gets the result', async () => {
    const { sim, client } = await setup({ stepMs: 15 });
    const { promptId } = await client.submit(txt2img(await checkpoint(client), { steps: 30 }));
    const step = firstStep();
    const waiting = client.waitForPrompt(promptId, { onProgress: step.onProgress });
    await step.reached;
    sim.dropConnections();
    const result = await waiting;
    expect(result.files[0]?.filename).toBe('txt2img_00001_.png');
  });

  it('the event stream says when its socket closes and opens again', async () => {
    const { sim } = await setup();
    const stream = createComfyEventStream({ baseUrl: sim.url, clientId: 'watcher', reconnect: { initialDelayMs: 20 }, graceMs: 5_000, connectTimeoutMs: 5_000, previewMetadata: true, onDown: () => {} });
    cleanup.push(() => stream.close(new Error('closed')));
    const events: ComfyConnectionEvent[] = [];
    stream.subscribe((e) => {
      if (e.type === 'connection') events.push(e);
    });
    await stream.connect();
    sim.dropConnections();
    await vi.waitFor(() => expect(events).toHaveLength(3));
    expect(events.map((e) => (e.state === 'open' ? `open${e.reconnected ? ' again' : ''}` : 'closed'))).toEqual(['open', 'closed', 'open again']);
  });

  it('the websocket drops and the prompt ends before it is back: the result comes from /history', async () => {
    const { sim, client } = await setup({ stepMs: 5 }, { reconnect: { initialDelayMs: 400, maxDelayMs: 400 } });
    const { promptId } = await client.submit(txt2img(await checkpoint(client), { steps: 10 }));
    const step = firstStep();
    const waiting = client.waitForPrompt(promptId, { onProgress: step.onProgress });
    await step.reached;
    sim.dropConnections();
    const result = await waiting;
    expect(result).toMatchObject({ source: 'history', files: [{ filename: 'txt2img_00001_.png', nodeId: '7' }] });
  });

  it('ComfyUI crashes and restarts empty: the wait reports the prompt lost instead of hanging', async () => {
    const { sim, client } = await setup({ stepMs: 20 });
    const { promptId } = await client.submit(txt2img(await checkpoint(client), { steps: 50 }));
    const step = firstStep();
    const waiting = client.waitForPrompt(promptId, { onProgress: step.onProgress }).catch((e: unknown) => e);
    await step.reached;
    await sim.crash();
    await sim.restart();
    const error = await waiting;
    expect(error).toBeInstanceOf(ComfyPromptLostError);
    // The instance is usable again.
    expect((await run(client, txt2img(await checkpoint(client), { steps: 1 }))).files).toHaveLength(1);
  });

  it('ComfyUI crashes for good: the wait fails with ComfyConnectionError after the grace period, so the job can go elsewhere', async () => {
    const { sim, client } = await setup({ stepMs: 20 }, { reconnectGraceMs: 400 });
    const { promptId } = await client.submit(txt2img(await checkpoint(client), { steps: 50 }));
    const step = firstStep();
    const waiting = client.waitForPrompt(promptId, { onProgress: step.onProgress }).catch((e: unknown) => e);
    await step.reached;
    await sim.crash();
    const error = await waiting;
    expect(error).toBeInstanceOf(ComfyConnectionError);
    await expect(client.systemStats()).rejects.toBeInstanceOf(ComfyConnectionError);
    await expect(client.submit(txt2img('x'))).rejects.toBeInstanceOf(ComfyConnectionError);
  });

  it('an address where no ComfyUI answers fails fast with ComfyConnectionError', async () => {
    const { sim } = await setup();
    const url = sim.url;
    await sim.close();
    const client = createComfyClient({ baseUrl: url, connectTimeoutMs: 300, reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
    cleanup.push(() => client.close());
    const started = Date.now();
    await expect(client.submit(txt2img('x'))).rejects.toBeInstanceOf(ComfyConnectionError);
    expect(Date.now() - started).toBeLessThan(3_000);
    await expect(client.systemStats()).rejects.toThrow(/cannot reach ComfyUI at/);
  });

  it('a prompt submitted by another client is followed through /history and /queue', async () => {
    const { sim, client } = await setup({ stepMs: 5 });
    const other = createComfyClient({ baseUrl: sim.url });
    cleanup.push(() => other.close());
    const finished = await client.submit(txt2img(await checkpoint(client), { steps: 2, seed: 1 }));
    await sim.waitForPrompt(finished.promptId);
    expect(await other.waitForPrompt(finished.promptId)).toMatchObject({ source: 'history', promptId: finished.promptId });
    const running = await client.submit(txt2img(await checkpoint(client), { steps: 20, seed: 2 }));
    // The other client's socket gets none of this prompt's events: it learns the end from the queue watch.
    const { outputs } = await other.waitForPrompt(running.promptId);
    expect(outputs).toEqual({ '7': { images: [{ filename: 'txt2img_00002_.png', subfolder: 'inkwell', type: 'output' }] } });
  });
});
