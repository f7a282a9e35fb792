// "Draw this page from a script" through the whole pipeline: the API queues one panel job per block as one
// batch, the gpu-worker draws each picture into its own panel, and the collab-server letters each panel with
// its lines as real bubbles and captions, as a collaborator's open comic sees them.
import type { TLRecord, TLShape } from '@tldraw/tlschema';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { createDatabaseClient, schema } from '@inkwell/db';
import { page, panel } from '../../collab-server/src/model/fixtures.ts';
import { layoutTemplate, putRecords, recordsOf, richTextToPlain } from '../../collab-server/src/model/index.ts';
import type { CollabServer } from '../../collab-server/src/server.ts';
import { imagesIn, openComic, startCollab, until } from '../../gpu-worker/test/comic-tab.ts';
import { type Member, type Pipeline, call, finished, signUp, startPipeline, waitForJob } from '../../gpu-worker/test/pipeline-harness.ts';
import { multipartFile } from './helper.ts';

let p: Pipeline;
let collab: CollabServer;
let collabUrl: string;
const database = createDatabaseClient(process.env.DATABASE_URL!, { max: 2 });
const { db } = database;

beforeAll(async () => {
  p = await startPipeline({ stepMs: 2 });
  ({ collab, url: collabUrl } = await startCollab(p));
});
afterAll(async () => {
  await collab.close();
  await p.close();
  await database.close();
});

const PANELS = ['shape:p1', 'shape:p2', 'shape:p3', 'shape:p4'];

/** A comic of `owner` with a 2×2 page (stored, so its summary lists the panels) and Maya in its library; its open tab. */
async function comicWithPage(owner: Member) {
  const comicId = (await call<{ id: string }>(p, owner, 'POST', '/comics', { title: 'Rain' })).body.data.id;
  const tab = openComic(collabUrl, owner, comicId);
  await tab.synced;
  putRecords(tab.doc, [page('one', 'Page 1', 'a1'), ...layoutTemplate('grid-2x2').map((rect, i) => panel(`p${i + 1}`, 'page:one', `a${i + 1}`, rect))]);
  await until(async () => {
    const [row] = await db.select({ panels: schema.comics.panels }).from(schema.comics).where(eq(schema.comics.id, comicId));
    return (row?.panels as { pages?: { panels: unknown[] }[] }).pages?.[0]?.panels.length === 4;
  }, 'the page to be stored');
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#884422' } }).png().toBuffer();
  const form = multipartFile(png, 'maya.png');
  const upload = await p.api.inject({ method: 'POST', url: '/api/v1/media', payload: form.payload, headers: { ...form.headers, cookie: owner.cookie } });
  const [maya] = await db
    .insert(schema.comicCharacters)
    .values({ comicId, name: 'Maya', description: 'a courier in a yellow raincoat', referenceMediaIds: [upload.json().data.id] })
    .returning();
  return { comicId, tab, mayaId: maya!.id };
}

const draw = (member: Member, comicId: string, script: string, pageId = 'page:one') =>
  call<{ batchId: string; jobs: { id: string; params: Record<string, unknown>; target: { panelId: string } }[] }>(p, member, 'POST', `/comics/${comicId}/pages/${pageId}/script`, {
    script,
    params: { style: 'noir', steps: 4 },
  });

const jobsOf = (userId: string) => db.select().from(schema.jobs).where(eq(schema.jobs.userId, userId));

/** The panel's children bottom to top: [type, kind, text] of its lettering, 'image' for pictures. */
function stack(doc: Y.Doc, panelId: string) {
  return [...recordsOf(doc).values()]
    .filter((r): r is TLShape => r.typeName === 'shape' && r.parentId === panelId)
    .sort((a, b) => (a.index < b.index ? -1 : 1))
    .map((shape) => {
      if (shape.type === 'image') return 'image';
      const props = shape.props as { kind?: string; richText: unknown };
      return `${shape.type}${props.kind ? `/${props.kind}` : ''}: ${richTextToPlain(props.richText)}`;
    });
}

const SCRIPT = `PANEL 1
Wide shot of a rainy street at night. Maya runs under a flickering sign.
CAPTION: Three hours earlier.
MAYA: Where is everyone?

PANEL 2
Close on Maya's face, lit red.
Maya (thinks): Too quiet.

PANEL 3
An empty bus stop.

PANEL 4
A door opens onto a bright room.
MAYA (shouts): Hello?!`;

describe('drawing a page from a script', () => {
  it('queues one job per panel as one batch, and each panel gets its picture and its lines as bubbles, in reading order', async () => {
    const owner = await signUp(p);
    const { comicId, tab, mayaId } = await comicWithPage(owner);

    const { status, body } = await draw(owner, comicId, SCRIPT);
    expect(status).toBe(202);
    expect(body.data.jobs.map((job) => job.target.panelId)).toEqual(PANELS);
    expect(body.data.jobs[0]!.params).toMatchObject({ prompt: 'Wide shot of a rainy street at night. Maya runs under a flickering sign.', style: 'noir' });
    expect(body.data.jobs[0]!.params.characters).toEqual([mayaId]);
    expect(body.data.jobs[2]!.params.characters).toBeUndefined();
    // The page's panels are 350×550: pictures of their proportions.
    expect(body.data.jobs[0]!.params).toMatchObject({ width: 640, height: 1024 });
    const rows = await jobsOf(owner.id);
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map((row) => row.batchId))).toEqual(new Set([body.data.batchId]));

    for (const job of body.data.jobs) expect((await waitForJob(p, owner, job.id, finished)).status).toBe('completed');
    await until(() => PANELS.every((id) => imagesIn(tab.doc, id).length === 1), 'a picture in every panel');
    await until(() => stack(tab.doc, 'shape:p4').length === 2, 'the lettering');
    // Pictures under the lettering; the lines top to bottom as written.
    expect(PANELS.map((id) => stack(tab.doc, id))).toEqual([
      ['image', 'caption: Three hours earlier.', 'speech-bubble/speech: Where is everyone?'],
      ['image', 'speech-bubble/thought: Too quiet.'],
      ['image'],
      ['image', 'speech-bubble/shout: Hello?!'],
    ]);

    // Drawing one panel again adds a variant there and touches nothing else.
    const before = PANELS.map((id) => stack(tab.doc, id));
    const again = await call<{ id: string }>(p, owner, 'POST', '/jobs', {
      workflow: 'comic-panel',
      params: { prompt: 'Close on Maya, drenched', steps: 4 },
      target: { comicId, panelId: 'shape:p2' },
    });
    await waitForJob(p, owner, again.body.data.id, finished);
    await until(() => imagesIn(tab.doc, 'shape:p2').length === 2, 'the second picture');
    expect(stack(tab.doc, 'shape:p2')).toEqual(['image', 'image', 'speech-bubble/thought: Too quiet.']);
    expect([0, 2, 3].map((i) => stack(tab.doc, PANELS[i]!))).toEqual([0, 2, 3].map((i) => before[i]));
    tab.close();
  });

  it('refuses a malformed script with the line of each mistake, and queues and writes nothing', async () => {
    const owner = await signUp(p);
    const { comicId, tab } = await comicWithPage(owner);
    const records = recordsOf(tab.doc).size;

    const { status, body } = await draw(owner, comicId, 'PANEL 1\nA street.\nMAYYA: Hi.\n\nPANEL 2\nTOM:\n');
    expect(status).toBe(400);
    expect(body.error).toMatchObject({
      code: 'invalid_script',
      details: [
        { path: 'script', line: 3, message: expect.stringContaining('MAYYA is not one of this comic') },
        { path: 'script', line: 5, message: 'Panel 2 has no description: say what is seen in it' },
        { path: 'script', line: 6, message: expect.stringContaining('TOM is not one of') },
      ],
    });
    const tooMany = await draw(owner, comicId, [1, 2, 3, 4, 5].map((n) => `PANEL ${n}\nRain.`).join('\n'));
    expect(tooMany.status).toBe(400);
    expect((tooMany.body.error as unknown as { details: unknown }).details).toEqual([{ path: 'script', line: 9, message: 'This page has 4 panels: there is none left for this block' }]);
    expect((await draw(owner, comicId, 'PANEL 1\nRain.', 'page:missing')).status).toBe(404);

    expect(await jobsOf(owner.id)).toEqual([]);
    expect(recordsOf(tab.doc).size).toBe(records);
    expect(recordsOf(tab.doc).get('shape:p1' as TLRecord['id'])).toMatchObject({ props: { generation: null } });

    // A whole page may pass the number of generations waiting at once only when nothing else waits.
    await db.insert(schema.jobs).values({ userId: owner.id, type: 'image', workflow: 'txt2img-sdxl', status: 'running', parameters: {} });
    const busy = await draw(owner, comicId, SCRIPT);
    expect(busy.status).toBe(429);
    expect(busy.body.error).toMatchObject({ code: 'too_many_active_jobs', message: 'You have 1 generation waiting or running: wait for it to finish before drawing 4 more' });
    expect(await jobsOf(owner.id)).toHaveLength(1);
    tab.close();
  });

  it('is for the comic’s editors and owner: a viewer is refused, a stranger does not learn the comic exists', async () => {
    const owner = await signUp(p);
    const viewer = await signUp(p);
    const editor = await signUp(p);
    const stranger = await signUp(p);
    const { comicId, tab } = await comicWithPage(owner);
    await call(p, owner, 'POST', `/comics/${comicId}/members`, { username: viewer.username, role: 'viewer' });
    await call(p, owner, 'POST', `/comics/${comicId}/members`, { username: editor.username, role: 'editor' });

    expect((await draw(viewer, comicId, 'PANEL 1\nRain.')).status).toBe(403);
    expect((await draw(stranger, comicId, 'PANEL 1\nRain.')).status).toBe(404);
    expect([...(await jobsOf(viewer.id)), ...(await jobsOf(stranger.id))]).toEqual([]);
    const drawn = await draw(editor, comicId, 'PANEL 1\nRain on the glass.');
    expect(drawn.status).toBe(202);
    expect(drawn.body.data.jobs).toHaveLength(1);
    await waitForJob(p, editor, drawn.body.data.jobs[0]!.id, finished);
    tab.close();
  });
});
