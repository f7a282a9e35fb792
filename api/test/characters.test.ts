import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { and, eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import { GENERATION_QUEUE, type GenerationJobData, redisNames } from '@inkwell/workflows';
import { type TestApp, type TestUser, createTestApp, expectError, multipartFile, registerUser } from './helper.ts';

// No worker runs here: these tests are about the library, the style lock, and what a panel job is given.
let t: TestApp;
let queue: Queue<GenerationJobData>;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let comicId: string;

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
const call = (user: TestUser | null, method: Method, url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: user ? { cookie: user.cookie } : {}, ...(payload && { payload }) });

async function picture(user: TestUser, colour = 'teal', comic?: string): Promise<string> {
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: colour } }).png().toBuffer();
  const form = multipartFile(png, 'ref.png');
  const response = await t.app.inject({ method: 'POST', url: `/api/v1/media${comic ? `?comicId=${comic}` : ''}`, payload: form.payload, headers: { ...form.headers, cookie: user.cookie } });
  if (response.statusCode !== 201) throw new Error(`upload: ${response.body}`);
  return response.json().data.id;
}

async function characterCount(): Promise<number> {
  return (await t.db.select().from(schema.comicCharacters).where(eq(schema.comicCharacters.comicId, comicId))).length;
}

beforeAll(async () => {
  t = await createTestApp();
  queue = new Queue(GENERATION_QUEUE, { connection: new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null }), prefix: redisNames(t.config.redisPrefix).bull });
  // A creator may have six generations waiting at once: the owner queues several panels.
  owner = await registerUser(t.app, 'creator', t.db);
  [editor, viewer, outsider] = await Promise.all([registerUser(t.app), registerUser(t.app), registerUser(t.app)]);
  comicId = (await call(owner, 'POST', '/comics', { title: 'The Lighthouse' })).json().data.id;
  await call(owner, 'POST', `/comics/${comicId}/members`, { username: editor.username, role: 'editor' });
  await call(owner, 'POST', `/comics/${comicId}/members`, { username: viewer.username, role: 'viewer' });
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  await t.close();
});

describe('the character library', () => {
  it('editors add characters that every member sees, references included; viewers and outsiders cannot add', async () => {
    const ref = await picture(editor);
    const created = await call(editor, 'POST', `/comics/${comicId}/characters`, { name: 'Mara', description: 'tall keeper, green scarf', referenceMediaIds: [ref] });
    expect(created.statusCode).toBe(201);
    const mara = created.json().data;
    expect(mara).toMatchObject({ comicId, name: 'Mara', description: 'tall keeper, green scarf', createdBy: editor.id, references: [{ id: ref, url: `/api/v1/media/${ref}/file` }] });

    for (const member of [owner, editor, viewer]) {
      const list = await call(member, 'GET', `/comics/${comicId}/characters`);
      expect(list.statusCode).toBe(200);
      expect(list.json().data.map((c: { name: string }) => c.name)).toContain('Mara');
      // The editor's own picture became the comic's: every member can load the reference.
      expect((await call(member, 'GET', `/media/${ref}/file`)).statusCode).toBe(200);
    }

    const before = await characterCount();
    expectError(await call(viewer, 'POST', `/comics/${comicId}/characters`, { name: 'Otto', referenceMediaIds: [ref] }), 403, 'forbidden');
    expectError(await call(outsider, 'POST', `/comics/${comicId}/characters`, { name: 'Otto', referenceMediaIds: [ref] }), 404, 'not_found');
    expectError(await call(outsider, 'GET', `/comics/${comicId}/characters`), 404, 'not_found');
    expectError(await call(null, 'GET', `/comics/${comicId}/characters`), 401);
    expect(await characterCount()).toBe(before);
  });

  it('a name is unique in the comic whatever its case; another comic may reuse it', async () => {
    const ref = await picture(owner);
    expect((await call(owner, 'POST', `/comics/${comicId}/characters`, { name: 'Otto', referenceMediaIds: [ref] })).statusCode).toBe(201);
    const clash = await call(editor, 'POST', `/comics/${comicId}/characters`, { name: ' OTTO ', referenceMediaIds: [ref] });
    expectError(clash, 409, 'character_exists');
    expect(clash.json().error.message).toMatch(/already has a character called OTTO/);

    const other = (await call(owner, 'POST', '/comics', { title: 'Another' })).json().data.id;
    expect((await call(owner, 'POST', `/comics/${other}/characters`, { name: 'Otto', referenceMediaIds: [ref] })).statusCode).toBe(201);
  });

  it('refuses bad input with the field that is wrong, and stores nothing', async () => {
    const ref = await picture(owner);
    const before = await characterCount();
    const cases: [object, string][] = [
      [{ name: '', referenceMediaIds: [ref] }, 'name'],
      [{ name: 'x'.repeat(81), referenceMediaIds: [ref] }, 'name'],
      [{ name: 'Nobody', referenceMediaIds: [] }, 'referenceMediaIds'],
      [{ name: 'Nobody', referenceMediaIds: [ref, ref] }, 'referenceMediaIds'],
      [{ name: 'Nobody', referenceMediaIds: Array.from({ length: 5 }, () => crypto.randomUUID()) }, 'referenceMediaIds'],
      [{ name: 'Nobody', referenceMediaIds: ['not-a-uuid'] }, 'referenceMediaIds.0'],
      [{ name: 'Nobody', description: 'd'.repeat(1001), referenceMediaIds: [ref] }, 'description'],
      [{ name: 'Nobody', referenceMediaIds: [ref], extra: true }, ''],
    ];
    for (const [body, path] of cases) {
      const response = await call(owner, 'POST', `/comics/${comicId}/characters`, body);
      expectError(response, 400, 'validation_error');
      if (path) expect(response.json().error.details.map((d: { path: string }) => d.path), JSON.stringify(body)).toContain(path);
    }
    expect(await characterCount()).toBe(before);
  });

  it('refuses references the caller may not use: someone else’s private picture, or none at all', async () => {
    const strangers = await picture(outsider, 'red');
    const before = await characterCount();
    for (const id of [strangers, crypto.randomUUID()]) {
      const response = await call(owner, 'POST', `/comics/${comicId}/characters`, { name: 'Thief', referenceMediaIds: [id] });
      expectError(response, 400, 'validation_error');
      expect(response.json().error.details).toEqual([{ path: 'referenceMediaIds.0', message: 'No such image in your media' }]);
    }
    expect(await characterCount()).toBe(before);
    // The stranger's picture stays theirs.
    const [row] = await t.db.select({ comicId: schema.media.comicId }).from(schema.media).where(eq(schema.media.id, strangers));
    expect(row!.comicId).toBeNull();
  });

  it('a picture a moderator hid is drawn from by nobody, its owner included: not as a reference, not as a job’s input', async () => {
    const hidden = await picture(owner, 'navy');
    await t.db.update(schema.media).set({ moderationState: 'hidden' }).where(eq(schema.media.id, hidden));
    const before = await characterCount();
    const refused = await call(owner, 'POST', `/comics/${comicId}/characters`, { name: 'Shade', referenceMediaIds: [hidden] });
    expectError(refused, 400, 'validation_error');
    expect(refused.json().error.details).toEqual([{ path: 'referenceMediaIds.0', message: 'A moderator hid or removed this picture' }]);
    expect(await characterCount()).toBe(before);

    const job = await call(owner, 'POST', '/jobs', { workflow: 'img2img-sdxl', params: { prompt: 'the same, at dusk', inputImage: hidden } });
    expectError(job, 400, 'validation_error');
    expect(job.json().error.details).toEqual([{ path: 'params.inputImage', message: 'A moderator hid or removed this picture' }]);
  });

  it('editors change and remove characters; viewers cannot; a character of another comic is not found', async () => {
    const [first, second] = [await picture(owner), await picture(editor, 'navy')];
    const ada = (await call(owner, 'POST', `/comics/${comicId}/characters`, { name: 'Ada', description: 'pilot', referenceMediaIds: [first] })).json().data;
    const url = `/comics/${comicId}/characters/${ada.id}`;

    expectError(await call(viewer, 'PATCH', url, { description: 'x' }), 403, 'forbidden');
    expectError(await call(outsider, 'PATCH', url, { description: 'x' }), 404, 'not_found');
    expectError(await call(editor, 'PATCH', url, {}), 400, 'validation_error');
    expectError(await call(editor, 'PATCH', url, { name: 'mara' }), 409, 'character_exists');

    const changed = await call(editor, 'PATCH', url, { description: 'pilot, leather cap', referenceMediaIds: [second, first] });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().data).toMatchObject({ name: 'Ada', description: 'pilot, leather cap', references: [{ id: second }, { id: first }] });

    const elsewhere = (await call(owner, 'POST', '/comics', { title: 'Elsewhere' })).json().data.id;
    expectError(await call(owner, 'PATCH', `/comics/${elsewhere}/characters/${ada.id}`, { description: 'y' }), 404, 'not_found');
    expectError(await call(owner, 'DELETE', `/comics/${elsewhere}/characters/${ada.id}`), 404, 'not_found');

    expectError(await call(viewer, 'DELETE', url), 403, 'forbidden');
    expect((await call(editor, 'DELETE', url)).statusCode).toBe(200);
    expectError(await call(editor, 'DELETE', url), 404, 'not_found');
    const names = (await call(viewer, 'GET', `/comics/${comicId}/characters`)).json().data.map((c: { name: string }) => c.name);
    expect(names).not.toContain('Ada');
  });

  it('records who added, changed and removed a character in the audit log, by name, with the values before and after', async () => {
    const ref = await picture(editor);
    const bea = (await call(editor, 'POST', `/comics/${comicId}/characters`, { name: 'Bea', description: 'baker', referenceMediaIds: [ref] })).json().data;
    await call(editor, 'PATCH', `/comics/${comicId}/characters/${bea.id}`, { description: 'baker, flour on her nose' });
    await call(editor, 'DELETE', `/comics/${comicId}/characters/${bea.id}`);
    const rows = await t.db
      .select()
      .from(schema.auditLogs)
      .where(and(eq(schema.auditLogs.userId, editor.id), eq(schema.auditLogs.resourceId, comicId)))
      .orderBy(schema.auditLogs.createdAt);
    const bees = rows.filter((r) => JSON.stringify([r.oldValues, r.newValues]).includes('Bea'));
    expect(bees.map((r) => r.action)).toEqual(['comic.character_created', 'comic.character_updated', 'comic.character_deleted']);
    expect(bees[0]!.newValues).toEqual({ name: 'Bea', description: 'baker', referenceMediaIds: [ref] });
    expect(bees[1]).toMatchObject({ oldValues: { name: 'Bea', description: 'baker' }, newValues: { name: 'Bea', description: 'baker, flour on her nose' } });
    expect(bees[2]!.oldValues).toMatchObject({ name: 'Bea' });
  });
});

describe('panels drawn with characters and the style lock', () => {
  const panel = (params: object, target: object | undefined = { comicId: '', panelId: 'shape:p1' }) => ({
    workflow: 'comic-panel',
    params: { prompt: 'two friends on the pier', ...params },
    ...(target && { target: { ...target, comicId: (target as { comicId: string }).comicId || comicId } }),
  });

  it('a panel job gets its characters’ descriptions and references and records whom it drew; the picture’s panel shows them', async () => {
    const [r1, r2] = [await picture(owner, 'olive'), await picture(owner, 'maroon')];
    const kit = (await call(owner, 'POST', `/comics/${comicId}/characters`, { name: 'Kit', description: 'girl with a red kite', referenceMediaIds: [r1, r2] })).json().data;
    const response = await call(editor, 'POST', '/jobs', panel({ characters: [kit.id] }));
    expect(response.statusCode).toBe(202);
    const job = response.json().data;
    expect(job.params.characters).toEqual([kit.id]);
    expect(job.params.cast).toEqual([{ id: kit.id, name: 'Kit', description: 'girl with a red kite', referenceMediaIds: [r1, r2] }]);
    const queued = await queue.getJob(job.id);
    expect(queued!.data.params.cast).toEqual(job.params.cast);

    // Every member, not only the one who asked, reads whom the panel's picture shows.
    for (const member of [owner, viewer]) {
      const cast = await call(member, 'GET', `/comics/${comicId}/jobs/${job.id}/characters`);
      expect(cast.json().data).toEqual([{ id: kit.id, name: 'Kit' }]);
    }
    expectError(await call(outsider, 'GET', `/comics/${comicId}/jobs/${job.id}/characters`), 404, 'not_found');
    const elsewhere = (await call(owner, 'POST', '/comics', { title: 'Elsewhere' })).json().data.id;
    expectError(await call(owner, 'GET', `/comics/${elsewhere}/jobs/${job.id}/characters`), 404, 'not_found');
  });

  it('refuses characters of another comic, more than three, and characters without a panel, with a clear 400', async () => {
    const ref = await picture(owner);
    const other = (await call(owner, 'POST', '/comics', { title: 'Other' })).json().data.id;
    const foreign = (await call(owner, 'POST', `/comics/${other}/characters`, { name: 'Stranger', referenceMediaIds: [ref] })).json().data;
    const before = await queue.count();

    const refused = await call(owner, 'POST', '/jobs', panel({ characters: [foreign.id] }));
    expectError(refused, 400, 'validation_error');
    expect(refused.json().error.details).toEqual([{ path: 'params.characters.0', message: "Not a character of this comic's library" }]);

    const four = Array.from({ length: 4 }, () => crypto.randomUUID());
    const tooMany = await call(owner, 'POST', '/jobs', panel({ characters: four }));
    expectError(tooMany, 400, 'validation_error');
    expect(tooMany.json().error.details[0]).toMatchObject({ path: 'params.characters', message: 'At most 3 characters in a panel' });

    const mine = (await call(owner, 'GET', `/comics/${comicId}/characters`)).json().data[0].id;
    const loose = await call(owner, 'POST', '/jobs', panel({ characters: [mine] }, null as never));
    expectError(loose, 400, 'validation_error');
    expect(loose.json().error.details[0].path).toBe('params.characters');

    expectError(await call(viewer, 'POST', '/jobs', panel({ characters: [mine] })), 403, 'forbidden');
    expect(await queue.count()).toBe(before);
  });

  it('leaves out references a member may no longer use, and refuses a character left with none', async () => {
    const ref = await picture(owner, 'gold');
    const gus = (await call(owner, 'POST', `/comics/${comicId}/characters`, { name: 'Gus', referenceMediaIds: [ref] })).json().data;
    await call(owner, 'DELETE', `/media/${ref}`);
    expect((await call(owner, 'GET', `/comics/${comicId}/characters`)).json().data.find((c: { id: string }) => c.id === gus.id).references).toEqual([]);
    const response = await call(owner, 'POST', '/jobs', panel({ characters: [gus.id] }));
    expectError(response, 400, 'validation_error');
    expect(response.json().error.message).toBe('Gus has no reference image left');
  });

  it('the style lock: editors set it, members read it, every panel job uses it unless the request overrides it', async () => {
    const url = `/comics/${comicId}/style-lock`;
    expect((await call(viewer, 'GET', url)).json().data).toEqual({});
    const lock = { stylePreset: 'noir', negativePrompt: 'colour', model: 'sdxl-base' };
    expectError(await call(viewer, 'PUT', url, lock), 403, 'forbidden');
    expectError(await call(outsider, 'PUT', url, lock), 404, 'not_found');
    const refused = await call(editor, 'PUT', url, { stylePreset: 'cubism' });
    expectError(refused, 400, 'validation_error');
    expect(refused.json().error.details[0].path).toBe('stylePreset');
    expectError(await call(editor, 'PUT', url, { style: 'noir' }), 400, 'validation_error');

    expect((await call(editor, 'PUT', url, lock)).json().data).toEqual(lock);
    expect((await call(viewer, 'GET', url)).json().data).toEqual(lock);

    const locked = (await call(owner, 'POST', '/jobs', panel({}))).json().data;
    expect(locked.params).toMatchObject({ style: 'noir', negativePrompt: 'colour', model: 'sdxl-base' });
    const overridden = (await call(owner, 'POST', '/jobs', panel({ style: 'manga' }))).json().data;
    expect(overridden.params).toMatchObject({ style: 'manga', negativePrompt: 'colour' });
    // Only the comic's own panels: a studio picture is not drawn in its style.
    const studio = (await call(owner, 'POST', '/jobs', panel({}, null as never))).json().data;
    expect(studio.params.style).toBe('western');

    const [audit] = await t.db.select().from(schema.auditLogs).where(and(eq(schema.auditLogs.action, 'comic.style_lock_changed'), eq(schema.auditLogs.resourceId, comicId)));
    expect(audit).toMatchObject({ userId: editor.id, oldValues: {}, newValues: lock });

    expect((await call(owner, 'PUT', url, {})).json().data).toEqual({});
    expect((await call(owner, 'POST', '/jobs', panel({}))).json().data.params.style).toBe('western');
  });
});
