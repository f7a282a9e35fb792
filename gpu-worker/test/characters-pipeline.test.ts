// Characters end to end on the ComfyUI simulator: a character sheet is drawn from a description, and a panel
// with two characters of the comic's library is drawn with every one of their references uploaded to ComfyUI,
// one IP-Adapter per character, and lands in its panel.
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { panel, page } from '../../collab-server/src/model/fixtures.ts';
import { putRecords } from '../../collab-server/src/model/index.ts';
import type { CollabServer } from '../../collab-server/src/server.ts';
import { imagesIn, openComic, startCollab, until } from './comic-tab.ts';
import { type Member, type Pipeline, call, finished, signUp, startPipeline, waitForJob } from './pipeline-harness.ts';

let p: Pipeline;
let collab: CollabServer;
let collabUrl: string;

beforeAll(async () => {
  p = await startPipeline({ stepMs: 2 });
  ({ collab, url: collabUrl } = await startCollab(p));
});
afterAll(async () => {
  await collab.close();
  await p.close();
});

async function upload(member: Member, colour: string): Promise<string> {
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: colour } }).png().toBuffer();
  const boundary = 'charactersboundary';
  const response = await p.api.inject({
    method: 'POST',
    url: '/api/v1/media',
    headers: { cookie: member.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="ref.png"\r\nContent-Type: image/png\r\n\r\n`),
      png,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  });
  return response.json().data.id;
}

/** The graphs the simulator ran, from its /history. */
async function graphsRun(): Promise<Record<string, { class_type: string; inputs: Record<string, unknown> }>[]> {
  const history = (await (await fetch(`${p.simulators[0]!.url}/history`)).json()) as Record<string, { prompt: unknown[] }>;
  return Object.values(history).map((entry) => entry.prompt[2] as never);
}

it('a character sheet is drawn from a description, front and side stitched side by side', async () => {
  const author = await signUp(p);
  const { body } = await call<{ id: string }>(p, author, 'POST', '/jobs', { workflow: 'character-sheet', params: { prompt: 'a knight in blue armour', width: 512, height: 512, steps: 4 } });
  const job = await waitForJob(p, author, body.data.id, finished);
  expect(job.status, job.error ?? '').toBe('completed');
  expect(job.result!.mimeType).toBe('image/png');
  const sheet = (await graphsRun()).find((graph) => Object.values(graph).some((node) => node.class_type === 'ImageStitch'))!;
  const texts = Object.values(sheet).filter((node) => node.class_type === 'CLIPTextEncode').map((node) => node.inputs.text as string);
  expect(texts.some((text) => /front view.*a knight in blue armour/.test(text))).toBe(true);
  expect(texts.some((text) => /side view.*a knight in blue armour/.test(text))).toBe(true);
});

it('a panel with two characters gets all their references, an IP-Adapter each, and lands in its panel', async () => {
  const author = await signUp(p);
  const comicId = (await call<{ id: string }>(p, author, 'POST', '/comics', { title: 'Pier' })).body.data.id;
  const tab = openComic(collabUrl, author, comicId);
  await tab.synced;
  putRecords(tab.doc, [page('1', 'Page 1', 'a1'), panel('panel1', 'page:1', 'a1', { x: 0, y: 0, w: 400, h: 300 })]);

  const references = [await upload(author, 'olive'), await upload(author, 'maroon'), await upload(author, 'navy')];
  const add = async (name: string, description: string, referenceMediaIds: string[]) =>
    (await call<{ id: string }>(p, author, 'POST', `/comics/${comicId}/characters`, { name, description, referenceMediaIds })).body.data.id;
  const kit = await add('Kit', 'girl with a red kite', references.slice(0, 2));
  const otto = await add('Otto', 'small boy, round glasses', references.slice(2));

  const { body } = await call<{ id: string }>(p, author, 'POST', '/jobs', {
    workflow: 'comic-panel',
    params: { prompt: 'two friends on the pier', characters: [kit, otto], width: 512, height: 384, steps: 4 },
    target: { comicId, panelId: 'shape:panel1' },
  });
  const job = await waitForJob(p, author, body.data.id, finished);
  expect(job.status, job.error ?? '').toBe('completed');
  await until(() => imagesIn(tab.doc, 'shape:panel1').length === 1, 'the picture in the panel');
  tab.close();

  const graph = (await graphsRun()).find((g) => Object.values(g).some((node) => JSON.stringify(node.inputs).includes('two friends on the pier')))!;
  const nodes = Object.values(graph);
  expect(nodes.filter((node) => node.class_type === 'IPAdapterAdvanced')).toHaveLength(2);
  const loaded = nodes.filter((node) => node.class_type === 'LoadImage').map((node) => node.inputs.image as string);
  // Each reference uploaded under its media id, and read by the graph.
  expect(loaded.map((name) => references.find((id) => name.includes(id))).sort()).toEqual([...references].sort());
  expect(JSON.stringify(graph)).toContain('Kit, girl with a red kite; Otto, small boy, round glasses');
});
