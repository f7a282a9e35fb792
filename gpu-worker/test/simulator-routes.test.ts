// The simulator's HTTP routes against the recorded answers, its files (/view, /upload/image), its outputs
// (labelled placeholder pictures, animated WebP/PNG, WebM), fault injection and what a crash looks like.
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { readPngText } from '../src/simulator/media.ts';
import { createComfySimulator, MODEL_FOLDERS, SIMULATED_DEVICE_NAME, type ComfySimulator, type ComfySimulatorOptions, type ObjectInfo } from '../src/simulator/index.ts';
import { getOrdered, postPrompt, promptBody, RawSocket, recording, summarise, variant, withoutTooltips, type Graph } from './comfyui-fixtures.ts';

const open: Array<{ close: () => unknown }> = [];
async function simulator(options: ComfySimulatorOptions = {}): Promise<ComfySimulator> {
  const sim = await createComfySimulator({ port: 0, stepMs: 0, ...options });
  open.push(sim);
  return sim;
}
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

type Recorded = { status: number; body: unknown };
const recorded = (route: string): Recorded => recording<Record<string, Recorded>>('recording-protocol.json')[route] as Recorded;

async function get(sim: ComfySimulator, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${sim.url}${path}`);
  return { status: res.status, body: await res.json() };
}

async function runToEnd(sim: ComfySimulator, graph: Graph, order?: string[]): Promise<{ id: string; history: Record<string, unknown> }> {
  const { status, json } = await postPrompt(sim.url, promptBody(graph, {}, order));
  expect(status).toBe(200);
  const id = json.prompt_id as string;
  await sim.waitForPrompt(id);
  const history = (await get(sim, `/history/${id}`)).body as Record<string, Record<string, unknown>>;
  return { id, history: history[id] as Record<string, unknown> };
}

function firstFile(history: Record<string, unknown>): { filename: string; subfolder: string; type: string } {
  const outputs = history.outputs as Record<string, { images?: Array<{ filename: string; subfolder: string; type: string }> }>;
  const file = Object.values(outputs)[0]?.images?.[0];
  if (!file) throw new Error(`no file in ${JSON.stringify(history.outputs)}`);
  return file;
}

async function view(sim: ComfySimulator, f: { filename: string; subfolder: string; type: string }): Promise<Buffer> {
  const res = await fetch(`${sim.url}/view?${new URLSearchParams(f).toString()}`);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe('GET routes answer with the recorded shapes', () => {
  it('an idle server: /queue, /prompt, /history, /embeddings, /models, /api/jobs, /features as recorded', async () => {
    const sim = await simulator({ models: { checkpoints: ['probe_sd15_random.safetensors'] } });
    for (const route of ['/queue', '/prompt', '/history', '/embeddings', '/models', '/models/checkpoints', '/api/jobs', '/features']) {
      const r = recorded(`GET ${route}`);
      expect([route, await get(sim, route)]).toEqual([route, { status: r.status, body: r.body }]);
    }
  });

  it('/system_stats has the recorded fields and says the device is simulated', async () => {
    const sim = await simulator();
    const { status, body } = await get(sim, '/system_stats');
    const r = recorded('GET /system_stats').body as { system: object; devices: object[] };
    const stats = body as { system: Record<string, unknown>; devices: Array<Record<string, unknown>> };
    expect(status).toBe(200);
    expect(Object.keys(stats.system)).toEqual(expect.arrayContaining(Object.keys(r.system)));
    expect(Object.keys(stats.devices[0] as object)).toEqual(Object.keys(r.devices[0] as object));
    expect(stats.devices[0]?.name).toBe(SIMULATED_DEVICE_NAME);
    expect(String(stats.devices[0]?.name)).toMatch(/simulated/);
    expect(stats.system.comfyui_version).toBe('0.8.0');
  });

  it('/object_info is the recorded catalogue, with the simulated model files in the loaders', async () => {
    const sim = await simulator();
    const info = (await get(sim, '/object_info')).body as Record<string, { input: { required?: Record<string, unknown[]> } }>;
    const real = recording<Record<string, unknown>>('object_info.json');
    expect(Object.keys(info).sort()).toEqual(Object.keys(real).sort());
    // The recorded catalogue has its prose (tooltips, descriptions) removed, as the README says.
    const { description: _d, output_tooltips: _o, ...kSampler } = withoutTooltips((recorded('GET /object_info/KSampler').body as Record<string, unknown>).KSampler) as Record<string, unknown>;
    expect(info.KSampler).toEqual(kSampler);
    // With no model files, a simulator answers exactly what the recorded server did (it had one checkpoint, the
    // recording lists none).
    const empty = await simulator({ models: Object.fromEntries(MODEL_FOLDERS.map((f) => [f, []])) });
    const emptyInfo = (await get(empty, '/object_info')).body as Record<string, unknown>;
    for (const [name, def] of Object.entries(real)) expect([name, emptyInfo[name]]).toEqual([name, JSON.parse(JSON.stringify(def))]);
    expect(info.CheckpointLoaderSimple?.input.required?.ckpt_name?.[0]).toEqual(expect.arrayContaining(['probe_sd15_random.safetensors', 'sd_xl_base_1.0.safetensors']));
    expect((await get(sim, '/object_info/KSampler')).body).toEqual({ KSampler: info.KSampler });
    expect((await get(sim, '/object_info/NoSuchNode')).body).toEqual({});
    // Every route is also served under /api, as ComfyUI does.
    expect((await get(sim, '/api/object_info/KSampler')).body).toEqual({ KSampler: info.KSampler });
  });

  it('/api/jobs lists finished prompts like ComfyUI, newest first, with a preview output', async () => {
    const sim = await simulator();
    const a = await runToEnd(sim, variant({ '3': { steps: 2 } }));
    const b = await runToEnd(sim, variant({ '3': { steps: 2, seed: 3 } }));
    const { body } = await get(sim, '/api/jobs?limit=1');
    const rec = recording<Record<string, { body: { jobs: Array<Record<string, unknown>>; pagination: object } }>>('recording-protocol.json')['GET /api/jobs?limit=2']?.body;
    const list = body as { jobs: Array<Record<string, unknown>>; pagination: Record<string, unknown> };
    expect(list.pagination).toEqual({ offset: 0, limit: 1, total: 2, has_more: true });
    expect(Object.keys(list.jobs[0] as object)).toEqual(Object.keys(rec?.jobs[0] as object));
    expect(list.jobs[0]).toMatchObject({ id: b.id, status: 'completed', outputs_count: 1, preview_output: { ...firstFile(b.history), nodeId: '9', mediaType: 'images' } });
    expect((await get(sim, `/api/jobs/${a.id}`)).body).toMatchObject({ id: a.id, status: 'completed' });
    expect((await get(sim, '/api/jobs/nope')).status).toBe(404);
  });

  it('/history?max_items=N gives the last N', async () => {
    const sim = await simulator();
    const ids = [];
    for (const seed of [1, 2, 3]) ids.push((await runToEnd(sim, variant({ '3': { steps: 1, seed } }))).id);
    const body = await getOrdered<Record<string, unknown>>(`${sim.url}/history?max_items=2`);
    expect(Object.keys(body)).toEqual(ids.slice(1));
  });
});

describe('files', () => {
  it('the output is a plainly labelled PNG of the requested size, colour from seed and prompt, served by /view', async () => {
    const sim = await simulator();
    const { history } = await runToEnd(sim, variant({ '5': { width: 768, height: 512 }, '3': { steps: 2 } }));
    const file = firstFile(history);
    expect(file).toEqual({ filename: 'probe_00001_.png', subfolder: '', type: 'output' });
    const png = await view(sim, file);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 768, 512]);
    // ComfyUI embeds the prompt; the simulator also says what made the picture.
    const text = readPngText(png);
    expect(JSON.parse(text.prompt as string)['3'].class_type).toBe('KSampler');
    expect(text.Software).toMatch(/simulated/);

    const corner = async (buf: Buffer): Promise<number[]> => [...(await sharp(buf).extract({ left: 0, top: 0, width: 1, height: 1 }).raw().toBuffer())];
    const other = await view(sim, firstFile((await runToEnd(sim, variant({ '5': { width: 768, height: 512 }, '3': { steps: 2, seed: 4242 }, '6': { text: 'a dog' } }))).history));
    expect(await corner(other)).not.toEqual(await corner(png));
    const same = await view(sim, firstFile((await runToEnd(sim, variant({ '5': { width: 768, height: 512 }, '3': { steps: 3 } }))).history));
    expect(await corner(same)).toEqual(await corner(png));
  });

  it('/view refuses paths outside its folders and answers 404 for unknown files', async () => {
    const sim = await simulator();
    expect((await fetch(`${sim.url}/view?filename=nope.png`)).status).toBe(404);
    expect((await fetch(`${sim.url}/view?filename=../secret.png`)).status).toBe(400);
    expect((await fetch(`${sim.url}/view?filename=a.png&subfolder=../..`)).status).toBe(403);
    expect((await fetch(`${sim.url}/view?filename=example.png&type=input`)).status).toBe(200);
  });

  it('an uploaded image is listed for LoadImage, validates, sizes the output, and a clash is renamed', async () => {
    const sim = await simulator();
    const upload = async (bytes: Buffer, name: string, fields: Record<string, string> = {}): Promise<Record<string, unknown>> => {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(bytes)]), name);
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      const res = await fetch(`${sim.url}/upload/image`, { method: 'POST', body: form });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    const red = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toBuffer();
    const blue = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 0, g: 0, b: 255 } } }).png().toBuffer();
    expect(await upload(red, 'ref.png')).toEqual({ name: 'ref.png', subfolder: '', type: 'input' });
    expect(await upload(red, 'ref.png')).toEqual({ name: 'ref.png', subfolder: '', type: 'input' });
    expect(await upload(blue, 'ref.png')).toEqual({ name: 'ref (1).png', subfolder: '', type: 'input' });
    expect(await upload(blue, 'ref.png', { overwrite: 'true' })).toEqual({ name: 'ref.png', subfolder: '', type: 'input' });
    expect(await upload(red, 'face.png', { subfolder: 'chars' })).toEqual({ name: 'face.png', subfolder: 'chars', type: 'input' });

    const list = ((await get(sim, '/object_info/LoadImage')).body as { LoadImage: { input: { required: { image: unknown[] } } } }).LoadImage.input.required.image[0];
    expect(list).toEqual(['example.png', 'ref (1).png', 'ref.png']);
    const graph: Graph = {
      '1': { class_type: 'LoadImage', inputs: { image: 'chars/face.png' } },
      '2': { class_type: 'ImageScaleBy', inputs: { image: ['1', 0], upscale_method: 'lanczos', scale_by: 2 } },
      '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'inkwell/upscale' } },
    };
    const { history } = await runToEnd(sim, graph, ['1', '2', '3']);
    const file = firstFile(history);
    expect(file).toEqual({ filename: 'upscale_00001_.png', subfolder: 'inkwell', type: 'output' });
    const meta = await sharp(await view(sim, file)).metadata();
    expect([meta.width, meta.height]).toEqual([600, 400]);
    expect((await fetch(`${sim.url}/upload/image`, { method: 'POST', body: new FormData() })).status).toBe(400);
  });

  it('animated outputs: SaveAnimatedWEBP frames, SaveAnimatedPNG (APNG), SaveWEBM (WebM, VP8)', async () => {
    const sim = await simulator();
    const frames = (saver: Graph[string]): Graph => ({
      '1': { class_type: 'EmptyHunyuanLatentVideo', inputs: { width: 160, height: 96, length: 9, batch_size: 1 } },
      '2': { class_type: 'VAELoader', inputs: { vae_name: 'ae.safetensors' } },
      '3': { class_type: 'VAEDecode', inputs: { samples: ['1', 0], vae: ['2', 0] } },
      '4': saver,
    });
    const webp = await runToEnd(sim, frames({ class_type: 'SaveAnimatedWEBP', inputs: { images: ['3', 0], filename_prefix: 'inkwell/gif', fps: 8, lossless: false, quality: 80, method: 'default' } }));
    const out = (webp.history.outputs as Record<string, unknown>)['4'];
    expect(out).toEqual({ images: [{ filename: 'gif_00001_.webp', subfolder: 'inkwell', type: 'output' }], animated: [true] });
    const meta = await sharp(await view(sim, firstFile(webp.history)), { animated: true }).metadata();
    expect([meta.format, meta.pages, meta.width, meta.pageHeight]).toEqual(['webp', 9, 160, 96]);

    const apng = await runToEnd(sim, frames({ class_type: 'SaveAnimatedPNG', inputs: { images: ['3', 0], filename_prefix: 'anim', fps: 6, compress_level: 4 } }));
    const png = await view(sim, firstFile(apng.history));
    const actl = png.indexOf('acTL');
    expect(actl).toBeGreaterThan(0);
    expect(png.readUInt32BE(actl + 4)).toBe(9);

    const webm = await runToEnd(sim, frames({ class_type: 'SaveWEBM', inputs: { images: ['3', 0], filename_prefix: 'clip', codec: 'vp9', fps: 24, crf: 32 } }));
    expect((webm.history.outputs as Record<string, unknown>)['4']).toMatchObject({ images: [{ filename: 'clip_00001_.webm' }], animated: [true] });
    const video = await view(sim, firstFile(webm.history));
    expect(video.subarray(0, 4).toString('hex')).toBe('1a45dfa3');
    expect(video.includes(Buffer.from('webm'))).toBe(true);
    expect(video.includes(Buffer.from('V_VP8'))).toBe(true);
  });
  it('SaveVideo writes WebM (the simulator has no H.264 encoder); a GIF node from a custom pack writes a GIF', async () => {
    // A custom node that writes GIFs (VideoHelperSuite's combine node), as its pack's /object_info defines it.
    const vhs: ObjectInfo = {
      VHS_VideoCombine: {
        input: { required: { images: ['IMAGE'], frame_rate: ['FLOAT', { default: 8, min: 1, step: 1 }], loop_count: ['INT', { default: 0, min: 0, max: 100 }], filename_prefix: ['STRING', { default: 'AnimateDiff' }], format: [['image/gif', 'image/webp', 'video/h264-mp4']], pingpong: ['BOOLEAN', { default: false }], save_output: ['BOOLEAN', { default: true }] } },
        input_order: { required: ['images', 'frame_rate', 'loop_count', 'filename_prefix', 'format', 'pingpong', 'save_output'] },
        output: ['VHS_FILENAMES'],
        output_node: true,
        name: 'VHS_VideoCombine',
        category: 'Video Helper Suite',
      },
    };
    const sim = await simulator({ extraNodes: vhs });
    const frames: Graph = {
      '1': { class_type: 'EmptyHunyuanLatentVideo', inputs: { width: 96, height: 64, length: 5, batch_size: 1 } },
      '2': { class_type: 'VAELoader', inputs: { vae_name: 'ae.safetensors' } },
      '3': { class_type: 'VAEDecode', inputs: { samples: ['1', 0], vae: ['2', 0] } },
    };
    const video = await runToEnd(sim, {
      ...frames,
      '4': { class_type: 'CreateVideo', inputs: { images: ['3', 0], fps: 12 } },
      '5': { class_type: 'SaveVideo', inputs: { video: ['4', 0], filename_prefix: 'video/inkwell', format: 'auto', codec: 'auto' } },
    });
    expect((video.history.outputs as Record<string, unknown>)['5']).toEqual({ images: [{ filename: 'inkwell_00001_.webm', subfolder: 'video', type: 'output' }], animated: [true] });
    expect((await view(sim, firstFile(video.history))).subarray(0, 4).toString('hex')).toBe('1a45dfa3');

    const gif = await runToEnd(sim, { ...frames, '4': { class_type: 'VHS_VideoCombine', inputs: { images: ['3', 0], frame_rate: 8, loop_count: 0, filename_prefix: 'inkwell/gif', format: 'image/gif', pingpong: false, save_output: true } } });
    const out = (gif.history.outputs as Record<string, { gifs: Array<{ filename: string; subfolder: string; type: string }> }>)['4'];
    expect(out).toEqual({ gifs: [{ filename: 'gif_00001.gif', subfolder: 'inkwell', type: 'output', format: 'image/gif', frame_rate: 8 }] });
    const meta = await sharp(await view(sim, out?.gifs[0] as { filename: string; subfolder: string; type: string }), { animated: true }).metadata();
    expect([meta.format, meta.pages]).toEqual(['gif', 5]);
  });
});

describe('fault injection', () => {
  it('failOn fails a matching node with a Python-style exception; failNext fails once', async () => {
    const sim = await simulator({ failOn: { classType: 'VAEDecode', message: 'decoder exploded', times: 1 } });
    const failed = await runToEnd(sim, variant({ '3': { steps: 2 } }));
    const messages = (failed.history.status as { messages: Array<[string, Record<string, unknown>]> }).messages;
    expect(messages.at(-1)?.[0]).toBe('execution_error');
    expect(messages.at(-1)?.[1]).toMatchObject({ node_id: '8', node_type: 'VAEDecode', exception_type: 'RuntimeError', exception_message: 'decoder exploded\n' });
    // Spent after one prompt.
    expect((await runToEnd(sim, variant({ '3': { steps: 2 } }))).history.status).toMatchObject({ status_str: 'success' });

    sim.failNext({ kind: 'oom', atStep: 2 });
    const oom = await runToEnd(sim, variant({ '3': { steps: 5, seed: 9 } }));
    expect((oom.history.status as { messages: Array<[string, Record<string, unknown>]> }).messages.at(-1)?.[1]).toMatchObject({ node_id: '3', exception_type: 'torch.OutOfMemoryError' });
    expect((await runToEnd(sim, variant({ '3': { steps: 5, seed: 10 } }))).history.status).toMatchObject({ status_str: 'success' });
  });

  it('a marker in the prompt text fails the sampler: [sim:error:…] and [sim:oom]', async () => {
    const sim = await simulator();
    const failed = await runToEnd(sim, variant({ '6': { text: 'a cat [sim:error:the cat refused]' } }));
    expect((failed.history.status as { messages: Array<[string, Record<string, unknown>]> }).messages.at(-1)?.[1]).toMatchObject({ node_id: '3', exception_message: 'the cat refused\n' });
    const oom = await runToEnd(sim, variant({ '6': { text: 'a cat [sim:oom]' } }));
    expect((oom.history.status as { messages: Array<[string, Record<string, unknown>]> }).messages.at(-1)?.[1]).toMatchObject({ exception_type: 'torch.OutOfMemoryError' });
  });
});

describe('a simulator that goes away', () => {
  it('crash() cuts sockets and HTTP, restart() comes back empty on the same port with its files', async () => {
    const sim = await simulator({ stepMs: 20 });
    const { history } = await runToEnd(sim, variant({ '3': { steps: 1 } }));
    const sock = await RawSocket.open(sim.url, 'clientA');
    const closed = new Promise<number>((resolve) => sock.ws.once('close', (code) => resolve(code)));
    const { json } = await postPrompt(sim.url, promptBody(variant({ '3': { steps: 50, seed: 1 } }), { client_id: 'clientA' }));
    await sock.waitFor((m) => m.type === 'progress');
    const port = sim.port;
    await sim.crash();
    expect(await closed).toBe(1006);
    await expect(fetch(`${sim.url}/queue`)).rejects.toThrow();
    await sim.restart();
    expect(sim.port).toBe(port);
    expect((await get(sim, '/queue')).body).toEqual({ queue_running: [], queue_pending: [] });
    expect((await get(sim, `/history/${json.prompt_id as string}`)).body).toEqual({});
    expect((await view(sim, firstFile(history))).length).toBeGreaterThan(0);
  });

  it('dropConnections() cuts the websockets while the prompt carries on', async () => {
    const sim = await simulator({ stepMs: 10 });
    const sock = await RawSocket.open(sim.url, 'clientA');
    const closed = new Promise<void>((resolve) => sock.ws.once('close', () => resolve()));
    const { json } = await postPrompt(sim.url, promptBody(variant({ '3': { steps: 10 } }), { client_id: 'clientA' }));
    await sock.waitFor((m) => m.type === 'progress');
    sim.dropConnections();
    await closed;
    expect(sim.connectionCount()).toBe(0);
    expect(await sim.waitForPrompt(json.prompt_id as string)).toBe('success');
    expect(summarise(sock.messages).at(-1)).not.toBe('executing(node=None)');
  });
});

