// A gpu-worker killed in the middle of a job (SIGKILL: no goodbye) must not lose the job, nor store its
// result twice, nor leave its prompt drawing on ComfyUI: BullMQ notices the stalled job, another worker
// stops the orphaned prompt and runs the job.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabaseClient, schema } from '@inkwell/db';
import { type Pipeline, addWorker, call, finished, signUp, spawnWorker, startPipeline, waitForJob } from './pipeline-harness.ts';

const database = createDatabaseClient(process.env.DATABASE_URL!, { max: 2 });
let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline({ stepMs: 400, workers: 0 });
});
afterAll(async () => {
  await p.close();
  await database.close();
});

it('gives the job of a killed worker to another one, which stops the orphaned prompt, and ends with exactly one result', async () => {
  const doomed = spawnWorker(p);
  try {
    const alice = await signUp(p);
    const started = new Promise<string>((resolve) => p.simulators[0]!.on('started', resolve));
    const ended = new Map<string, string>();
    p.simulators[0]!.on('finished', (promptId, status) => ended.set(promptId, status ?? ''));
    // Long enough (12 s) that the orphaned prompt is still drawing when the job is handed on.
    const { body } = await call<{ id: string }>(p, alice, 'POST', '/jobs', {
      workflow: 'txt2img-sdxl',
      params: { prompt: 'outlive my worker', width: 256, height: 256, steps: 30 },
    });
    const orphan = await started;
    expect((await call<{ status: string }>(p, alice, 'GET', `/jobs/${body.data.id}`)).body.data.status).toBe('running');
    await doomed.kill();

    await addWorker(p);
    const job = await waitForJob(p, alice, body.data.id, finished, 40_000);
    expect(job.status, job.error ?? '').toBe('completed');
    const results = await database.db.select().from(schema.media).where(eq(schema.media.jobId, job.id));
    expect(results.map((r) => r.id)).toEqual([job.result!.id]);
    // The dead worker's prompt was stopped, not drawn to the end beside the new one.
    expect(ended.get(orphan)).toBe('error');
    expect([...ended.values()].filter((status) => status === 'success')).toHaveLength(1);
  } finally {
    await doomed.kill();
  }
}, 60_000);
