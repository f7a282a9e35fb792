// A picture asked for a comic panel lands in that panel, once, for everyone on the comic, even when the
// requester has left; while it runs, everyone on the comic receives its progress.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { COMIC_EDITS_QUEUE, COMIC_EDIT_APPLIED, COMIC_EDIT_OPTIONS, type ComicEditJobData, comicEditJobId, redisNames } from '@inkwell/workflows';
import { panel, page } from '../../collab-server/src/model/fixtures.ts';
import { type ComicPanelShape, putRecords, recordsOf } from '../../collab-server/src/model/index.ts';
import type { CollabServer } from '../../collab-server/src/server.ts';
import { imagesIn, openComic, startCollab, until } from './comic-tab.ts';
import { type Member, type Pipeline, call, finished, signUp, startPipeline, waitForJob } from './pipeline-harness.ts';

let p: Pipeline;
let collab: CollabServer;
let collabUrl: string;

beforeAll(async () => {
  p = await startPipeline({ stepMs: 20 });
  ({ collab, url: collabUrl } = await startCollab(p));
});
afterAll(async () => {
  await collab.close();
  await p.close();
});

const open = (member: Member, comicId: string) => openComic(collabUrl, member, comicId);

it('lands once in the panel for every collaborator, with progress on the way, even after the requester left', async () => {
  const author = await signUp(p);
  const friend = await signUp(p);
  const comicId = (await call<{ id: string }>(p, author, 'POST', '/comics', { title: 'Storm' })).body.data.id;
  await call(p, author, 'POST', `/comics/${comicId}/members`, { username: friend.username, role: 'editor' });

  const authorTab = open(author, comicId);
  await authorTab.synced;
  putRecords(authorTab.doc, [page('1', 'Page 1', 'a1'), panel('panel1', 'page:1', 'a1', { x: 0, y: 0, w: 400, h: 300 })]);
  const friendTab = open(friend, comicId);
  await friendTab.synced;
  await until(() => recordsOf(friendTab.doc).has('shape:panel1' as never), 'the friend to see the panel');

  const { body } = await call<{ id: string }>(p, author, 'POST', '/jobs', {
    workflow: 'comic-panel',
    params: { prompt: 'the keeper climbs', style: 'noir', width: 512, height: 384, steps: 20 },
    target: { comicId, panelId: 'shape:panel1' },
  });
  // The requester leaves as soon as it is asked.
  authorTab.close();

  await until(() => friendTab.stateless.some((m) => JSON.parse(m).type === 'generation-progress'), 'progress to reach the friend');
  const job = await waitForJob(p, author, body.data.id, finished);
  expect(job.status).toBe('completed');
  await until(() => imagesIn(friendTab.doc, 'shape:panel1').length === 1, 'the picture in the panel');
  const [image] = imagesIn(friendTab.doc, 'shape:panel1');
  const asset = recordsOf(friendTab.doc).get((image as { props: { assetId: string } }).props.assetId as never) as { props: { src: string } };
  expect(asset.props.src).toBe(`/api/v1/media/${job.result!.id}/file`);
  // Its thumbnail is made when first asked for.
  const thumbnail = await p.api.inject({ method: 'GET', url: `/api/v1/media/${job.result!.id}/thumbnail`, headers: { cookie: author.cookie } });
  expect(thumbnail.headers['content-type']).toBe('image/webp');
  const messages = friendTab.stateless.map((m) => JSON.parse(m)).filter((m) => m.jobId === job.id);
  expect(messages.map((m) => m.percent)).toEqual([...messages.map((m) => m.percent)].sort((a, b) => a - b));
  const panelNow = recordsOf(friendTab.doc).get('shape:panel1' as never) as ComicPanelShape;
  expect(panelNow.props.generation).toBeNull();

  // The same completion reported again (a retried worker, say) changes nothing.
  const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
  const edits = new Queue<ComicEditJobData>(COMIC_EDITS_QUEUE, { connection: redis, prefix: redisNames(p.prefix).bull });
  const again: ComicEditJobData = { kind: 'insert-image', jobId: job.id, comicId, panelId: 'shape:panel1', mediaId: job.result!.id, width: 512, height: 384 };
  const replay = await edits.add('insert-image', again, { ...COMIC_EDIT_OPTIONS, jobId: `${comicEditJobId(again)}-replayed` });
  let state = '';
  for (let i = 0; i < 100 && state !== 'completed'; i++) {
    state = await replay.getState();
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(state).toBe('completed');
  expect(imagesIn(friendTab.doc, 'shape:panel1')).toHaveLength(1);

  // The collab-server reported the picture applied, which the worker waited for, and nothing for the panel's
  // states, which nobody waits on.
  const progressOf = async (edit: ComicEditJobData) => (await edits.getJob(comicEditJobId(edit)))?.progress;
  expect(await progressOf(again)).toEqual(COMIC_EDIT_APPLIED);
  for (const status of ['queued', 'running'] as const) {
    const stateEdit: ComicEditJobData = { kind: 'set-generation', jobId: job.id, comicId, panelId: 'shape:panel1', status };
    expect(await edits.getJobState(comicEditJobId(stateEdit))).toBe('completed');
    expect(await progressOf(stateEdit)).toBe(0);
  }
  await edits.close();
  await redis.quit();
  friendTab.close();
});

it('leaves the panel usable with the reason when the job fails', async () => {
  const author = await signUp(p);
  const comicId = (await call<{ id: string }>(p, author, 'POST', '/comics', { title: 'Fail' })).body.data.id;
  const tab = open(author, comicId);
  await tab.synced;
  putRecords(tab.doc, [page('1', 'Page 1', 'a1'), panel('p', 'page:1', 'a1', { x: 0, y: 0, w: 300, h: 300 })]);
  const { body } = await call<{ id: string }>(p, author, 'POST', '/jobs', {
    workflow: 'comic-panel',
    params: { prompt: 'doomed [sim:error:No ink left]', steps: 4 },
    target: { comicId, panelId: 'shape:p' },
  });
  await waitForJob(p, author, body.data.id, finished);
  await until(() => (recordsOf(tab.doc).get('shape:p' as never) as ComicPanelShape).props.generation?.status === 'failed', 'the failure on the panel');
  const generation = (recordsOf(tab.doc).get('shape:p' as never) as ComicPanelShape).props.generation!;
  expect(generation.message).toContain('No ink left');
  expect(imagesIn(tab.doc, 'shape:p')).toHaveLength(0);
  tab.close();
});
