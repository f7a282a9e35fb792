// A panel job and its panel never disagree: the job never reads "completed" while its panel still shows the
// job running (or shows no picture), whether the collab-server is slow to place the picture or the worker is
// killed mid-job, before or after the picture was stored. Both are read all along, the job as its owner
// reads it (the API) and the panel as a collaborator sees it (a live provider).
import { Queue } from 'bullmq';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabaseClient, schema } from '@inkwell/db';
import { COMIC_EDITS_QUEUE, redisNames } from '@inkwell/workflows';
import { panel, page } from '../../collab-server/src/model/fixtures.ts';
import { putRecords } from '../../collab-server/src/model/index.ts';
import type { CollabServer } from '../../collab-server/src/server.ts';
import { imagesIn, openComic, panelIn, startCollab, until } from './comic-tab.ts';
import { type JobView, type Member, type Pipeline, addWorker, call, signUp, spawnWorker, startPipeline } from './pipeline-harness.ts';
import type { GpuWorker } from '../src/worker.ts';

const PANEL = 'shape:panel';
const database = createDatabaseClient(process.env.DATABASE_URL!, { max: 2 });
let p: Pipeline;
let collab: CollabServer;
let collabUrl: string;
let redis: Redis;
/** The collab-servers' intake of comic edits: paused, they take none (a busy or restarting collab-server). */
let edits: Queue;

beforeAll(async () => {
  p = await startPipeline({ stepMs: 100, workers: 0 });
  ({ collab, url: collabUrl } = await startCollab(p));
  redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
  edits = new Queue(COMIC_EDITS_QUEUE, { connection: redis, prefix: redisNames(p.prefix).bull });
});
afterAll(async () => {
  await edits.close();
  await redis.quit();
  await collab.close();
  await p.close();
  await database.close();
});

/** A comic with one panel, open in its author's tab; a panel job asked for it. */
async function askForPanel(steps: number) {
  const author = await signUp(p);
  const comicId = (await call<{ id: string }>(p, author, 'POST', '/comics', { title: 'In step' })).body.data.id;
  const tab = openComic(collabUrl, author, comicId);
  await tab.synced;
  putRecords(tab.doc, [page('1', 'Page 1', 'a1'), panel('panel', 'page:1', 'a1', { x: 0, y: 0, w: 400, h: 300 })]);
  const { body } = await call<{ id: string }>(p, author, 'POST', '/jobs', {
    workflow: 'comic-panel',
    params: { prompt: 'two clocks that agree', width: 256, height: 256, steps },
    target: { comicId, panelId: PANEL },
  });
  return { author, tab, jobId: body.data.id };
}

type Tab = ReturnType<typeof openComic>;

/** What the panel shows: its job's state while it has one, else whether its picture is there. */
function panelShows(tab: Tab): string {
  return panelIn(tab.doc, PANEL)?.props.generation?.status ?? (imagesIn(tab.doc, PANEL).length > 0 ? 'picture' : 'empty');
}

const jobOf = async (member: Member, jobId: string) => (await call<JobView>(p, member, 'GET', `/jobs/${jobId}`)).body.data;

/** Reads the job, then the panel, every 20 ms until stopped; every pair read is kept. */
function observe(member: Member, jobId: string, tab: Tab) {
  const seen: Array<{ job: string; panel: string }> = [];
  let stopped = false;
  const look = async () => {
    const { status } = await jobOf(member, jobId);
    seen.push({ job: status, panel: panelShows(tab) });
  };
  const reading = (async () => {
    while (!stopped) {
      await look();
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    seen,
    /** Pairs where the job reads completed but the panel has no picture yet. */
    disagreements: () => seen.filter((s) => s.job === 'completed' && s.panel !== 'picture'),
    /** Stops watching, with one last look: the loop may have slept through the final change. */
    async stop() {
      stopped = true;
      await reading;
      await look();
    },
  };
}

/** An in-process worker for one test only, so that the next test's worker is the one that takes its job. */
async function removeWorker(worker: GpuWorker) {
  await worker.close();
  p.workers.splice(p.workers.indexOf(worker), 1);
}

const started = () => new Promise<void>((resolve) => p.simulators[0]!.on('started', () => resolve()));

/** The end every run must reach: the job completed, one picture in the panel, one stored for the job. */
async function expectConverged(member: Member, jobId: string, tab: Tab) {
  await until(async () => (await jobOf(member, jobId)).status === 'completed', 'the job to complete', 40_000);
  const job = await jobOf(member, jobId);
  expect(panelShows(tab)).toBe('picture');
  const [image] = imagesIn(tab.doc, PANEL);
  expect(imagesIn(tab.doc, PANEL)).toHaveLength(1);
  expect(image).toBeDefined();
  const stored = await database.db.select({ id: schema.media.id }).from(schema.media).where(eq(schema.media.jobId, jobId));
  expect(stored.map((m) => m.id)).toEqual([job.result!.id]);
}

it('reads completed only once its picture is in the panel, even while the collab-server is slow to place it', async () => {
  const worker = await addWorker(p);
  const { author, tab, jobId } = await askForPanel(10);
  const watch = observe(author, jobId, tab);
  try {
    await until(() => panelShows(tab) === 'running', 'the panel to show the job running');
    await edits.pause();
    try {
      // Drawn, stored and linked: all that is missing is the panel.
      await until(async () => (await jobOf(author, jobId)).result !== null, 'the picture to be stored');
      await new Promise((r) => setTimeout(r, 500));
      expect((await jobOf(author, jobId)).status).toBe('running');
      expect(panelShows(tab)).toBe('running');
    } finally {
      await edits.resume();
    }
    await expectConverged(author, jobId, tab);
  } finally {
    await watch.stop();
    tab.close();
    await removeWorker(worker);
  }
  expect(watch.disagreements()).toEqual([]);
  expect(watch.seen).toContainEqual({ job: 'running', panel: 'running' });
  expect(watch.seen.at(-1)).toEqual({ job: 'completed', panel: 'picture' });
}, 40_000);

it('after its worker is killed mid-prompt, another finishes it: the job and the panel agree all along and end together', async () => {
  const doomed = spawnWorker(p);
  const drawing = started();
  const { author, tab, jobId } = await askForPanel(20);
  const watch = observe(author, jobId, tab);
  let rescuer: GpuWorker | undefined;
  try {
    await drawing;
    await until(() => panelShows(tab) === 'running', 'the panel to show the job running');
    await doomed.kill();
    rescuer = await addWorker(p);
    await expectConverged(author, jobId, tab);
  } finally {
    await doomed.kill();
    await watch.stop();
    tab.close();
    if (rescuer) await removeWorker(rescuer);
  }
  expect(watch.disagreements()).toEqual([]);
  expect(watch.seen.at(-1)).toEqual({ job: 'completed', panel: 'picture' });
}, 60_000);

it('after its worker is killed with the picture stored but not yet in the panel, the next attempt finishes it without drawing again', async () => {
  const doomed = spawnWorker(p);
  const { author, tab, jobId } = await askForPanel(10);
  const watch = observe(author, jobId, tab);
  const prompts: string[] = [];
  const count = (promptId: string) => prompts.push(promptId);
  p.simulators[0]!.on('started', count);
  let rescuer: GpuWorker | undefined;
  try {
    await until(() => panelShows(tab) === 'running', 'the panel to show the job running');
    await edits.pause();
    try {
      await until(async () => (await jobOf(author, jobId)).result !== null, 'the picture to be stored');
      await doomed.kill();
    } finally {
      await edits.resume();
    }
    rescuer = await addWorker(p);
    await expectConverged(author, jobId, tab);
  } finally {
    p.simulators[0]!.off('started', count);
    await doomed.kill();
    await watch.stop();
    tab.close();
    if (rescuer) await removeWorker(rescuer);
  }
  expect(watch.disagreements()).toEqual([]);
  expect(prompts).toHaveLength(1);
  expect(watch.seen.at(-1)).toEqual({ job: 'completed', panel: 'picture' });
}, 60_000);
