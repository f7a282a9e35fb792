// A panel job reads completed as soon as its picture is in the panel, on every collaborator's screen, without
// waiting for the collab-server to store the document; the collab-server keeps the edit until it is stored.
// Killed in between, the job already completed, it loses nothing: the picture is stored after a restart.
import { eq } from 'drizzle-orm';
import * as Y from 'yjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabaseClient, schema } from '@inkwell/db';
import { panel, page } from '../../collab-server/src/model/fixtures.ts';
import { putRecords, recordsOf } from '../../collab-server/src/model/index.ts';
import { imagesIn, openComic, spawnCollab, until } from './comic-tab.ts';
import { type Pipeline, call, finished, signUp, startPipeline, waitForJob } from './pipeline-harness.ts';

const PANEL = 'shape:panel';
const database = createDatabaseClient(process.env.DATABASE_URL!, { max: 2 });
let p: Pipeline;
let collab: Awaited<ReturnType<typeof spawnCollab>>;

beforeAll(async () => {
  p = await startPipeline({ stepMs: 5 });
  collab = await spawnCollab(p);
});
afterAll(async () => {
  await collab.kill();
  await p.close();
  await database.close();
});

/** The comic's document as the collab-server last stored it. */
async function stored(comicId: string): Promise<Y.Doc> {
  const [row] = await database.db.select({ state: schema.comicDocuments.state }).from(schema.comicDocuments).where(eq(schema.comicDocuments.comicId, comicId));
  const doc = new Y.Doc();
  if (row) Y.applyUpdate(doc, new Uint8Array(row.state));
  return doc;
}

it('completes a panel job before its picture is stored; a collab-server killed before storing stores it after a restart', async () => {
  // Stored only when the last connection leaves, or after a minute: the picture stays unstored meanwhile.
  await collab.start({ COLLAB_STORE_DEBOUNCE_MS: '60000', COLLAB_STORE_MAX_DEBOUNCE_MS: '60000' });
  const author = await signUp(p);
  const comicId = (await call<{ id: string }>(p, author, 'POST', '/comics', { title: 'Unstored' })).body.data.id;
  const drawing = openComic(collab.url, author, comicId);
  await drawing.synced;
  putRecords(drawing.doc, [page('1', 'Page 1', 'a1'), panel('panel', 'page:1', 'a1', { x: 0, y: 0, w: 400, h: 300 })]);
  drawing.close();
  await until(async () => recordsOf(await stored(comicId)).has(PANEL as never), 'the panel to be stored');

  const tab = openComic(collab.url, author, comicId);
  try {
    await tab.synced;
    const { body } = await call<{ id: string }>(p, author, 'POST', '/jobs', {
      workflow: 'comic-panel',
      params: { prompt: 'a picture nobody stored yet', width: 256, height: 256, steps: 2 },
      target: { comicId, panelId: PANEL },
    });
    const job = await waitForJob(p, author, body.data.id, finished);
    expect(job.status).toBe('completed');
    expect(imagesIn(tab.doc, PANEL)).toHaveLength(1);
    expect(imagesIn(await stored(comicId), PANEL)).toHaveLength(0);

    await collab.kill();
  } finally {
    // Closed before the restart, so that the picture can come back only from the edit the dead server held.
    tab.close();
  }
  expect(imagesIn(await stored(comicId), PANEL)).toHaveLength(0);

  await collab.start({ COLLAB_STORE_DEBOUNCE_MS: '50', COLLAB_STORE_MAX_DEBOUNCE_MS: '200' });
  await until(async () => imagesIn(await stored(comicId), PANEL).length > 0, 'the picture to be stored after the restart', 30_000);
  expect(imagesIn(await stored(comicId), PANEL)).toHaveLength(1);
}, 60_000);
