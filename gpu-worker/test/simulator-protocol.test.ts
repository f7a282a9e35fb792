// Fidelity of the simulator's websocket protocol: the message sequences a real ComfyUI 0.8.0 sent for a first
// run, a warm run, an identical resubmission, previews (legacy and with metadata), an interrupt, a runtime
// error, out of memory, a prompt without client_id and queue operations — compared entry by entry with the
// recordings' summaries (timings and ids aside).
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createComfySimulator, type ComfySimulator } from '../src/simulator/index.ts';
import { getOrdered, orderedKeys, postPrompt, promptBody, RawSocket, recordedRun, recording, summarise, variant, withoutStatus, type Received } from './comfyui-fixtures.ts';

type Msg = { t: number; ws: string; kind: string; type: string; data?: unknown; len?: number; head_hex?: string; metadata?: Record<string, unknown>; image_magic?: string; image_type?: number };

const open: Array<{ close: () => unknown }> = [];
async function simulator(stepMs = 2): Promise<ComfySimulator> {
  const sim = await createComfySimulator({ port: 0, stepMs });
  open.push(sim);
  return sim;
}
async function socket(sim: ComfySimulator, clientId?: string, flags?: Record<string, unknown>): Promise<RawSocket> {
  const s = await RawSocket.open(sim.url, clientId, flags);
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

/** Submits as `clientId` and returns the messages from `from` up to the prompt's `executing {node: null}`. */
async function run(sim: ComfySimulator, sock: RawSocket, body: string, from = sock.messages.length): Promise<{ id: string; messages: Received[] }> {
  const { status, json } = await postPrompt(sim.url, body);
  expect(status).toBe(200);
  const id = json.prompt_id as string;
  const end = await sock.waitForEnd(id, from);
  return { id, messages: sock.messages.slice(from, sock.messages.indexOf(end) + 1) };
}

function data<T = Record<string, unknown>>(messages: Received[], type: string): T {
  const m = messages.find((x) => x.type === type);
  if (!m) throw new Error(`no ${type} in ${summarise(messages).join(', ')}`);
  return m.data as T;
}

describe('a prompt runs with the recorded message sequence', () => {
  it('first run, warm run with a new seed, identical resubmission (fully cached, no new file)', async () => {
    const sim = await simulator();
    const sock = await socket(sim, 'clientA');

    const first = await run(sim, sock, promptBody(variant({}), { client_id: 'clientA' }), 0);
    expect(summarise(first.messages)).toEqual(recordedRun('recording-protocol.json', 'first_512_b1_incl_load').seq);
    expect(data(first.messages, 'execution_cached')).toMatchObject({ nodes: [] });
    const executed = data<{ output: unknown }>(first.messages, 'executed');
    // A fresh server's first picture is probe_00001_.png, as recorded.
    expect(executed.output).toEqual({ images: [{ filename: 'probe_00001_.png', subfolder: '', type: 'output' }] });

    // Every message carries the fields the real one did.
    const recorded = recording<{ first_run_messages_full: Msg[] }>('recording-protocol.json').first_run_messages_full.filter((m) => m.kind === 'text');
    expect(first.messages.map((m) => [m.type, Object.keys(m.data as object)])).toEqual(recorded.map((m) => [m.type, Object.keys(m.data as object)]));
    const recordedState = recorded.find((m) => m.type === 'progress_state') as Msg;
    const state = data<{ nodes: Record<string, object> }>(first.messages, 'progress_state');
    expect(Object.keys(Object.values(state.nodes)[0] as object)).toEqual(Object.keys(Object.values((recordedState.data as { nodes: object }).nodes)[0] as object));

    const warm = await run(sim, sock, promptBody(variant({ '3': { seed: 1001 } }), { client_id: 'clientA' }));
    expect(summarise(warm.messages)).toEqual(recordedRun('recording-protocol.json', '512_b1_20steps_euler_#1').seq);
    // Cached nodes are listed in prompt order (4, 6, 7, 5), as recorded.
    expect(data(warm.messages, 'execution_cached')).toMatchObject({ nodes: ['4', '6', '7', '5'] });
    const warmFile = (data<{ output: { images: Array<{ filename: string }> } }>(warm.messages, 'executed').output.images[0] as { filename: string }).filename;
    expect(warmFile).toBe('probe_00002_.png');

    const again = await run(sim, sock, promptBody(variant({ '3': { seed: 1001 } }), { client_id: 'clientA' }));
    expect(summarise(again.messages)).toEqual(recordedRun('recording-protocol.json', 'identical_resubmit_cached').seq);
    expect(data(again.messages, 'execution_cached')).toMatchObject({ nodes: ['4', '6', '7', '5', '3', '8', '9'] });
    expect(data<{ output: unknown }>(again.messages, 'executed').output).toEqual({ images: [{ filename: 'probe_00002_.png', subfolder: '', type: 'output' }] });
    expect((await fetch(`${sim.url}/view?filename=probe_00003_.png&type=output`)).status).toBe(404);

    // The history entry has the recorded shape.
    const history = await getOrdered<Record<string, Record<string, unknown>>>(`${sim.url}/history/${first.id}`);
    const recordedHistory = Object.values(recording<Record<string, { body: Record<string, Record<string, unknown>> }>>('recording-protocol.json')['GET /history/{id} first']?.body ?? {})[0] as Record<string, unknown>;
    const entry = history[first.id] as Record<string, unknown>;
    expect(Object.keys(entry)).toEqual(Object.keys(recordedHistory));
    const [number, id, graph, extra, outputs] = entry.prompt as [number, string, object, object, string[]];
    expect([typeof number, id, orderedKeys(graph), Object.keys(extra), outputs]).toEqual(['number', first.id, ['4', '6', '7', '5', '3', '8', '9'], ['client_id', 'create_time'], ['9']]);
    expect((entry.status as { messages: Array<[string]> }).messages.map((m) => m[0])).toEqual(['execution_start', 'execution_cached', 'execution_success']);
    expect(entry.meta).toEqual(recordedHistory.meta);
  });

  it('previews: legacy frames (type 1) after progress, metadata frames (type 4) before it, as recorded', async () => {
    const sim = await simulator();
    const a = await socket(sim, 'clientA');
    await run(sim, a, promptBody(variant({ '5': { batch_size: 2 } }), { client_id: 'clientA' }));

    const legacy = await run(sim, a, promptBody(variant({ '3': { steps: 6, seed: 5 } }), { client_id: 'clientA', extra_data: { preview_method: 'latent2rgb' } }));
    expect(summarise(legacy.messages)).toEqual(recordedRun('recording-protocol.json', 'preview_latent2rgb_legacy_client').seq);

    const b = await socket(sim, 'clientB', { supports_preview_metadata: true });
    await b.waitFor((m) => m.type === 'feature_flags');
    const withMeta = await run(sim, b, promptBody(variant({ '3': { steps: 6, seed: 6 } }), { client_id: 'clientB', extra_data: { preview_method: 'latent2rgb' } }), 0);
    expect(summarise(withMeta.messages)).toEqual(recordedRun('recording-protocol.json', 'preview_latent2rgb_metadata_client').seq);
    expect(data(withMeta.messages, 'feature_flags')).toEqual(recording<Record<string, { body: unknown }>>('recording-protocol.json')['GET /features']?.body);

    const recordedLegacy = recording<{ preview_legacy_messages: Msg[] }>('recording-protocol.json').preview_legacy_messages.find((m) => m.kind === 'binary') as Msg;
    const frame1 = legacy.messages.find((m) => m.kind === 'binary')?.bytes as Buffer;
    // [u32 1][u32 1 = JPEG][JPEG with a JFIF header], exactly the recorded first 16 bytes but for the JPEG's tail.
    expect(frame1.subarray(0, 12).toString('hex')).toBe((recordedLegacy.head_hex as string).slice(0, 24));

    const recordedMeta = recording<{ preview_metadata_messages: Msg[] }>('recording-protocol.json').preview_metadata_messages.find((m) => m.kind === 'binary') as Msg;
    const frame4 = withMeta.messages.find((m) => m.kind === 'binary')?.bytes as Buffer;
    expect(frame4.readUInt32BE(0)).toBe(4);
    const metaLength = frame4.readUInt32BE(4);
    // The metadata JSON has the recorded length (Python's separators; ids of the same length).
    expect(metaLength).toBe(Number.parseInt((recordedMeta.head_hex as string).slice(8, 16), 16));
    const meta = JSON.parse(frame4.subarray(8, 8 + metaLength).toString()) as Record<string, unknown>;
    expect(meta).toEqual({ ...recordedMeta.metadata, prompt_id: withMeta.id });
    expect(frame4.subarray(8 + metaLength, 12 + metaLength).toString('hex')).toBe(recordedMeta.image_magic);
    expect((await sharp(frame4.subarray(8 + metaLength)).metadata()).format).toBe('jpeg');
  });

  it('interrupt: the running prompt stops at the next step with execution_interrupted, the next one runs', async () => {
    const sim = await simulator(0);
    const sock = await socket(sim, 'clientA');
    await run(sim, sock, promptBody(variant({}), { client_id: 'clientA' }));
    // Slow steps, so that the interrupt sent on seeing step 5 lands during step 6.
    sim.setTiming({ stepMs: 100 });

    const from = sock.messages.length;
    const p1 = await postPrompt(sim.url, promptBody(variant({ '5': { width: 1024, height: 1024 }, '3': { seed: 8000, steps: 60 } }), { client_id: 'clientA' }));
    const id1 = p1.json.prompt_id as string;
    await sock.waitFor((m) => m.type === 'executing' && (m.data as { node: string }).node === '5', from);
    const p2 = await postPrompt(sim.url, promptBody(variant({ '3': { seed: 8001, steps: 10 } }), { client_id: 'clientA' }));
    const id2 = p2.json.prompt_id as string;
    await sock.waitFor((m) => m.type === 'progress' && (m.data as { value: number }).value === 5, from);
    const res = await fetch(`${sim.url}/interrupt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt_id: id1 }) });
    expect([res.status, await res.text()]).toEqual(recording<{ interrupt: { interrupt_http: [number, string] } }>('recording-protocol.json').interrupt.interrupt_http);
    const end = await sock.waitForEnd(id2, from);
    const messages = sock.messages.slice(from, sock.messages.indexOf(end) + 1);

    const recorded = recording<{ interrupt: { seq: string[] } }>('recording-protocol.json').interrupt;
    // The recording stopped after step 5. Steps of the first prompt past 5 (if the interrupt landed late on a
    // busy machine) are left out; everything else must match.
    const late = (m: Received): boolean => {
      const d = m.data as { prompt_id?: string; value?: number; nodes?: Record<string, { value: number; state: string }> };
      if (d.prompt_id !== id1) return false;
      if (m.type === 'progress') return (d.value ?? 0) > 5;
      return m.type === 'progress_state' && d.nodes?.['3']?.state === 'running' && d.nodes['3'].value > 5;
    };
    expect(withoutStatus(summarise(messages.filter((m) => !late(m))))).toEqual(withoutStatus(recorded.seq));
    expect(data(messages, 'execution_interrupted')).toMatchObject({ prompt_id: id1, node_id: '3', node_type: 'KSampler', executed: ['5'] });

    const history = (await (await fetch(`${sim.url}/history/${id1}`)).json()) as Record<string, { outputs: object; status: { status_str: string; completed: boolean; messages: Array<[string]> } }>;
    const recordedHistory = Object.values(recording<Record<string, { body: Record<string, { status: { messages: Array<[string]> } }> }>>('recording-protocol.json')['GET /history/{id} interrupted']?.body ?? {})[0];
    expect(history[id1]?.outputs).toEqual({});
    expect(history[id1]?.status.status_str).toBe('error');
    expect(history[id1]?.status.messages.map((m) => m[0])).toEqual(recordedHistory?.status.messages.map((m) => m[0]));

    const job = (await (await fetch(`${sim.url}/api/jobs/${id1}`)).json()) as Record<string, unknown>;
    const recordedJob = recording<Record<string, { body: Record<string, unknown> }>>('recording-protocol.json')['GET /api/jobs/{id} interrupted']?.body as Record<string, unknown>;
    expect(Object.keys(job)).toEqual(Object.keys(recordedJob));
    expect(job).toMatchObject({ id: id1, status: 'failed', outputs_count: 0 });
  });

  it('runtime error: a corrupt checkpoint fails at its loader with the recorded exception', async () => {
    const sim = await simulator();
    const sock = await socket(sim, 'clientA');
    const failed = await run(sim, sock, promptBody(variant({ '4': { ckpt_name: 'broken.safetensors' }, '3': { seed: 1001 } }), { client_id: 'clientA' }));
    expect(summarise(failed.messages)).toEqual(recordedRun('recording-errors.json', 'runtime_error_corrupt_checkpoint').seq);
    const recorded = recording<{ runtime_error_messages: Msg[] }>('recording-errors.json').runtime_error_messages.find((m) => m.type === 'execution_error')?.data as Record<string, unknown>;
    const error = data<Record<string, unknown>>(failed.messages, 'execution_error');
    expect(Object.keys(error)).toEqual(Object.keys(recorded));
    for (const key of ['node_id', 'node_type', 'executed', 'exception_message', 'exception_type', 'current_inputs']) expect([key, error[key]]).toEqual([key, recorded[key]]);
    expect(new Set(error.current_outputs as string[])).toEqual(new Set(recorded.current_outputs as string[]));
    const history = (await (await fetch(`${sim.url}/history/${failed.id}`)).json()) as Record<string, { status: { status_str: string; messages: Array<[string]> } }>;
    expect(history[failed.id]?.status.messages.map((m) => m[0])).toEqual(['execution_start', 'execution_cached', 'execution_error']);
    const job = (await (await fetch(`${sim.url}/api/jobs/${failed.id}`)).json()) as Record<string, unknown>;
    expect(job).toMatchObject({ status: 'failed', execution_error: { node_id: '4', exception_type: recorded.exception_type } });
  });

  it('out of memory: a huge batch fails in KSampler with torch.OutOfMemoryError, after the other nodes ran', async () => {
    const sim = await simulator();
    const sock = await socket(sim, 'clientA');
    const failed = await run(sim, sock, promptBody(variant({ '5': { width: 1024, height: 1024, batch_size: 4096 } }), { client_id: 'clientA' }));
    expect(summarise(failed.messages)).toEqual(recordedRun('recording-errors.json', 'oom_1024_b4096').seq);
    // The recording kept the start of this message (it is long); its fields up to the traceback:
    const text = recording<{ oom_messages: Msg[] }>('recording-errors.json').oom_messages.find((m) => m.type === 'execution_error')?.data as string;
    const recorded = JSON.parse(`${text.slice(0, text.indexOf(', "traceback"'))}}`) as Record<string, unknown>;
    expect(data(failed.messages, 'execution_error')).toMatchObject({ ...recorded, prompt_id: failed.id });
  });
});

describe('who receives what', () => {
  it('without client_id, only status, progress_state and progress reach the sockets (none of the completion events)', async () => {
    const sim = await simulator();
    const a = await socket(sim, 'clientA');
    await run(sim, a, promptBody(variant({}), { client_id: 'clientA' }));
    const from = a.messages.length;
    const { json } = await postPrompt(sim.url, promptBody(variant({ '3': { seed: 77, steps: 4 } })));
    await sim.waitForPrompt(json.prompt_id as string);
    await a.waitFor((m) => m.type === 'status' && (m.data as { status: { exec_info: { queue_remaining: number } } }).status.exec_info.queue_remaining === 0, from);
    const recorded = recording<{ no_client_id: { wsA_seq: string[] } }>('recording-queue.json').no_client_id.wsA_seq.filter((s) => s !== 'TIMEOUT');
    expect(summarise(a.messages.slice(from))).toEqual(recorded);
  });

  it('without client_id, an interrupt is still announced to every socket (ComfyUI broadcasts execution_interrupted)', async () => {
    const sim = await simulator(30);
    const a = await socket(sim, 'clientA');
    const { json } = await postPrompt(sim.url, promptBody(variant({ '3': { steps: 50 } })));
    await a.waitFor((m) => m.type === 'progress');
    await fetch(`${sim.url}/interrupt`, { method: 'POST' });
    const m = await a.waitFor((x) => x.type === 'execution_interrupted');
    expect(m.data).toMatchObject({ prompt_id: json.prompt_id, node_id: '3' });
    expect(a.messages.some((x) => ['execution_start', 'executing', 'execution_error', 'execution_success'].includes(x.type))).toBe(false);
  });

  it("a prompt's events reach only the submitting client's socket; status reaches every socket", async () => {
    const sim = await simulator();
    const a = await socket(sim, 'clientA');
    const b = await socket(sim, 'clientB');
    const fromB = b.messages.length;
    await run(sim, a, promptBody(variant({}), { client_id: 'clientA' }));
    await b.waitFor((m) => m.type === 'status' && (m.data as { status: { exec_info: { queue_remaining: number } } }).status.exec_info.queue_remaining === 0, fromB);
    expect(new Set(b.messages.slice(fromB).map((m) => m.type))).toEqual(new Set(['status']));
  });

  it('a caller-chosen prompt_id is honoured', async () => {
    const sim = await simulator();
    const recorded = recording<{ client_prompt_id: { status: number; body: Record<string, unknown> } }>('recording-queue.json').client_prompt_id;
    const { status, json } = await postPrompt(sim.url, promptBody(variant({}), { prompt_id: 'my-own-id-123' }));
    expect(status).toBe(recorded.status);
    expect(Object.keys(json)).toEqual(Object.keys(recorded.body));
    expect(json).toMatchObject({ prompt_id: 'my-own-id-123', node_errors: {} });
    expect(await sim.waitForPrompt('my-own-id-123')).toBe('success');
  });

  it('a socket that reconnects with its client id mid-prompt is told the node running', async () => {
    const sim = await simulator(40);
    const a = await socket(sim, 'clientA');
    const { json } = await postPrompt(sim.url, promptBody(variant({ '3': { steps: 20 } }), { client_id: 'clientA' }));
    await a.waitFor((m) => m.type === 'progress');
    a.close();
    const again = await socket(sim, 'clientA');
    expect(again.messages[0]).toMatchObject({ type: 'status', data: { sid: 'clientA' } });
    await again.waitFor((m) => m.type === 'executing');
    expect(again.messages[1]).toMatchObject({ type: 'executing', data: { node: '3' } });
    await again.waitForEnd(json.prompt_id as string);
  });
});

describe('queue operations', () => {
  it('delete removes a pending prompt, clear never touches the running one, a global interrupt stops it', async () => {
    const recorded = recording<{ queue_ops: Record<string, unknown> }>('recording-queue.json').queue_ops;
    const sim = await simulator(20);
    const sock = await socket(sim, 'clientA');
    sim.setTiming({ stepMs: 0 });
    await run(sim, sock, promptBody(variant({}), { client_id: 'clientA' }));
    sim.setTiming({ stepMs: 20 });
    const from = sock.messages.length;
    const ids: string[] = [];
    for (const seed of [1, 2, 3]) ids.push((await postPrompt(sim.url, promptBody(variant({ '5': { width: 768 }, '3': { seed, steps: 200 } }), { client_id: 'clientA' }))).json.prompt_id as string);
    await sock.waitFor((m) => m.type === 'progress', from);
    const queue = async (): Promise<{ queue_running: unknown[][]; queue_pending: unknown[][] }> => (await (await fetch(`${sim.url}/queue`)).json()) as { queue_running: unknown[][]; queue_pending: unknown[][] };
    const q1 = await queue();
    expect([q1.queue_running.map((r) => r[1]), q1.queue_pending.map((r) => r[1])]).toEqual([[ids[0]], [ids[1], ids[2]]]);
    expect((recorded.pending_after_3_posts as string[]).length).toBe(2);

    const del = await fetch(`${sim.url}/queue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delete: [ids[1]] }) });
    expect([del.status, await del.text()]).toEqual(recorded.delete_http);
    expect((await queue()).queue_pending.map((r) => r[1])).toEqual([ids[2]]);

    const clear = await fetch(`${sim.url}/queue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clear: true }) });
    expect([clear.status, await clear.text()]).toEqual(recorded.clear_http);
    const q3 = await queue();
    expect({ running: q3.queue_running.length, pending: q3.queue_pending.length }).toEqual(recorded.queue_after_clear);

    const stop = await fetch(`${sim.url}/interrupt`, { method: 'POST' });
    expect([stop.status, await stop.text()]).toEqual(recorded.global_interrupt_http);
    const end = await sock.waitForEnd(ids[0] as string, from);
    const messages = sock.messages.slice(from, sock.messages.indexOf(end) + 1);
    // The recording interrupted as the sampler started; this one may land after a few steps: leave the steps out.
    const steps = (m: Received): boolean => m.type === 'progress' || (m.type === 'progress_state' && ((m.data as { nodes: Record<string, { value: number }> }).nodes['3']?.value ?? 0) >= 1);
    expect(withoutStatus(summarise(messages.filter((m) => !steps(m))))).toEqual(withoutStatus(recorded.seq_of_running as string[]));
    expect(await (await fetch(`${sim.url}/history/${ids[1]}`)).json()).toEqual(recorded.history_of_deleted);
  });

  it('an interrupt naming another prompt leaves the running one alone', async () => {
    const sim = await simulator(10);
    const sock = await socket(sim, 'clientA');
    const { id } = await (async () => {
      const { json } = await postPrompt(sim.url, promptBody(variant({ '3': { steps: 15 } }), { client_id: 'clientA' }));
      await sock.waitFor((m) => m.type === 'progress');
      await fetch(`${sim.url}/interrupt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt_id: 'not-running' }) });
      return { id: json.prompt_id as string };
    })();
    expect(await sim.waitForPrompt(id)).toBe('success');
  });
});
