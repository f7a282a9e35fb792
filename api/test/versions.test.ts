// Version history against the real API, a real collab-server and Hocuspocus providers: who may do what,
// restores seen live and undone, automatic versions and their spacing, retention, and the limits that keep
// versions (each a whole copy of the document) from piling up.
import { and, eq } from 'drizzle-orm';
import type { TLRecord } from '@tldraw/tlschema';
import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { schema } from '@inkwell/db';
import { caption, page, panel } from '../../collab-server/src/model/fixtures.ts';
import { recordsOf } from '../../collab-server/src/model/index.ts';
import { type Client, type User, acknowledged, addMember, connect, database, synced, useStack, waitFor } from '../../collab-server/test/helper.ts';
import { createVersionService } from '../src/services/versions.ts';
import { KEPT_VERSIONS_PER_KIND, MAX_NAMED_VERSIONS } from '../src/contract.ts';
import { expectError, login, setRole } from './helper.ts';
import { storeSummary, summaryWith } from './published.ts';

const { comicVersions } = schema;
const stack = useStack();
let owner: User;
let editor: User;
let viewer: User;
let outsider: User;

beforeAll(async () => {
  [owner, editor, viewer, outsider] = await Promise.all([stack.signUp(), stack.signUp(), stack.signUp(), stack.signUp()]);
});

const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, user?: User, payload?: object) =>
  stack.api.app.inject({ method, url, headers: user ? { cookie: user.cookie } : {}, ...(payload && { payload }) });

async function sharedComic(): Promise<string> {
  const comicId = await stack.newComic(owner);
  await addMember(stack.api, owner, comicId, editor, 'editor');
  await addMember(stack.api, owner, comicId, viewer, 'viewer');
  return comicId;
}

async function saveVersion(comicId: string, name: string, as = owner): Promise<string> {
  const response = await inject('POST', `/api/v1/comics/${comicId}/versions`, as, { name });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data.id;
}

/** The document's records as plain JSON, by id. */
const recordsIn = (doc: Y.Doc) => recordsOf(doc).toJSON() as Record<string, TLRecord>;

async function versionRecords(versionId: string): Promise<Record<string, TLRecord>> {
  const [row] = await database.db.select({ state: comicVersions.state }).from(comicVersions).where(eq(comicVersions.id, versionId));
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(row!.state));
  return recordsIn(doc);
}

async function open(comicId: string, user: User): Promise<Client> {
  const client = connect(stack.collab.url, comicId, { cookie: user.cookie });
  await synced(client);
  return client;
}

function put(client: Client, ...records: TLRecord[]) {
  client.doc.transact(() => {
    for (const record of records) client.records.set(record.id, record);
  });
}

const PAGE = page('p1', 'Page 1', 'a1');
const LEFT = panel('left', 'page:p1', 'a1', { x: 0, y: 0, w: 400, h: 300 });
const RIGHT = panel('right', 'page:p1', 'a2', { x: 400, y: 0, w: 400, h: 300 });

describe('version routes', () => {
  it('members list and read versions; editors and the owner save and restore; others get nothing', async () => {
    const comicId = await sharedComic();
    const versionId = await saveVersion(comicId, 'First', editor);
    const base = `/api/v1/comics/${comicId}/versions`;

    for (const member of [owner, editor, viewer]) {
      const list = await inject('GET', base, member);
      expect(list.statusCode).toBe(200);
      expect(list.json().data.map((v: { id: string }) => v.id)).toEqual([versionId]);
      expect(list.json().data[0]).toMatchObject({ kind: 'named', name: 'First', createdBy: { id: editor.id, username: editor.username } });
      expect(list.json().data[0]).not.toHaveProperty('state');
      expect((await inject('GET', `${base}/${versionId}`, member)).statusCode).toBe(200);
    }
    for (const member of [owner, editor]) {
      expect((await inject('POST', base, member, { name: `By ${member.username}` })).statusCode).toBe(201);
      expect((await inject('POST', `${base}/${versionId}/restore`, member)).statusCode).toBe(202);
    }
    const count = async () => (await database.db.select().from(comicVersions).where(eq(comicVersions.comicId, comicId))).length;
    const before = await count();
    expectError(await inject('POST', base, viewer, { name: 'Nope' }), 403, 'forbidden');
    expectError(await inject('POST', `${base}/${versionId}/restore`, viewer), 403, 'forbidden');
    for (const [method, url] of [['GET', base], ['GET', `${base}/${versionId}`], ['POST', base], ['POST', `${base}/${versionId}/restore`]] as const) {
      expectError(await inject(method, url, outsider, { name: 'Nope' }), 404, 'not_found');
      expectError(await inject(method, url, undefined, { name: 'Nope' }), 401, 'unauthenticated');
    }
    expectError(await inject('POST', base, owner, { name: '   ' }), 400);
    expectError(await inject('POST', base, owner, { name: 'x'.repeat(121) }), 400);
    // A version of another comic is not found through this one.
    const other = await stack.newComic(owner);
    expectError(await inject('GET', `/api/v1/comics/${other}/versions/${versionId}`, owner), 404, 'not_found');
    expectError(await inject('POST', `/api/v1/comics/${other}/versions/${versionId}/restore`, owner), 404, 'not_found');
    expect(await count()).toBe(before);
  });

  it('lists newest first, a page at a time', async () => {
    const comicId = await sharedComic();
    const ids = [];
    for (const name of ['one', 'two', 'three']) ids.push(await saveVersion(comicId, name));
    const first = (await inject('GET', `/api/v1/comics/${comicId}/versions?limit=2`, viewer)).json();
    expect(first.data.map((v: { name: string }) => v.name)).toEqual(['three', 'two']);
    expect(first.pagination).toMatchObject({ page: 1, limit: 2, total: 3 });
    const second = (await inject('GET', `/api/v1/comics/${comicId}/versions?limit=2&page=2`, viewer)).json();
    expect(second.data.map((v: { id: string }) => v.id)).toEqual([ids[0]]);
  });

  it('tells what changed since the version before: panels added, removed, redrawn, text changed', async () => {
    const comicId = await sharedComic();
    const client = await open(comicId, editor);
    put(client, PAGE, LEFT, caption('words', 'shape:left', 'a1', 'Hello'));
    await acknowledged(client);
    // The first store takes an automatic version.
    let first = '';
    await waitFor(async () => Boolean((first = (await inject('GET', `/api/v1/comics/${comicId}/versions`, viewer)).json().data[0]?.id)), 'a version');
    const firstDetail = (await inject('GET', `/api/v1/comics/${comicId}/versions/${first}`, viewer)).json().data;
    expect(firstDetail.kind).toBe('auto');
    expect(firstDetail.changes).toEqual({ previousId: null, panelsAdded: ['shape:left'], panelsRemoved: [], panelsRedrawn: [], textChanged: [] });
    expect(firstDetail.summary.pages[0].panels[0].text).toEqual(['Hello']);

    put(client, RIGHT, caption('words', 'shape:left', 'a1', 'Goodbye'));
    await acknowledged(client);
    const second = await saveVersion(comicId, 'Two panels');
    const detail = (await inject('GET', `/api/v1/comics/${comicId}/versions/${second}`, viewer)).json().data;
    expect(detail).toMatchObject({ pages: 1, panels: 2, name: 'Two panels' });
    expect(detail.changes).toEqual({ previousId: first, panelsAdded: ['shape:right'], panelsRemoved: [], panelsRedrawn: [], textChanged: ['shape:left'] });
    client.close();
  });

  it('takes a version on every publish', async () => {
    const creator = await stack.signUp();
    await setRole(database.db, creator.id, 'creator');
    const cookie = await login(stack.api.app, creator.username, 'correct horse battery staple');
    const comicId = (await stack.api.app.inject({ method: 'POST', url: '/api/v1/comics', payload: { title: 'Out' }, headers: { cookie } })).json().data.id;
    await storeSummary(database.db, comicId, summaryWith({ bubble: 'Hi' }));
    const published = await stack.api.app.inject({ method: 'POST', url: `/api/v1/comics/${comicId}/publish`, payload: { visibility: 'public' }, headers: { cookie } });
    expect(published.statusCode, published.body).toBe(200);
    const rows = await database.db.select().from(comicVersions).where(eq(comicVersions.comicId, comicId));
    expect(rows.map((r) => [r.kind, r.createdBy, r.summary.pages[0]?.panels.length])).toEqual([['publish', creator.id, 2]]);
  });
});

describe('deleting and limits', () => {
  const versionsOf = (comicId: string, kind?: 'auto' | 'named' | 'publish' | 'restore') =>
    database.db
      .select()
      .from(comicVersions)
      .where(kind ? and(eq(comicVersions.comicId, comicId), eq(comicVersions.kind, kind)) : eq(comicVersions.comicId, comicId))
      .orderBy(comicVersions.createdAt);
  /** Versions written straight into the database, one a minute back from an hour ago, oldest first. */
  async function insertVersions(comicId: string, kind: 'auto' | 'named' | 'publish' | 'restore', n: number): Promise<string[]> {
    const start = Date.now() - 3_600_000 - n * 60_000;
    const rows = await database.db
      .insert(comicVersions)
      .values(Array.from({ length: n }, (_, i) => ({ comicId, kind, name: kind === 'named' ? `Old ${i}` : null, state: Buffer.from([0, 0]), summary: { pages: [] }, createdAt: new Date(start + i * 60_000) })))
      .returning({ id: comicVersions.id });
    return rows.map((row) => row.id);
  }

  it('editors delete named versions and those kept before a restore; automatic and publish versions stay; others get nothing', async () => {
    const comicId = await sharedComic();
    const base = `/api/v1/comics/${comicId}/versions`;
    const draft = await saveVersion(comicId, 'Draft', editor);
    const [auto] = await insertVersions(comicId, 'auto', 1);
    const [published] = await insertVersions(comicId, 'publish', 1);
    const all = (await versionsOf(comicId)).length;

    expectError(await inject('DELETE', `${base}/${draft}`, viewer), 403, 'forbidden');
    expectError(await inject('DELETE', `${base}/${draft}`, outsider), 404, 'not_found');
    expectError(await inject('DELETE', `${base}/${draft}`), 401, 'unauthenticated');
    // Through another comic of the owner's, the version is not found.
    expectError(await inject('DELETE', `/api/v1/comics/${await stack.newComic(owner)}/versions/${draft}`, owner), 404, 'not_found');
    for (const kept of [auto!, published!]) expectError(await inject('DELETE', `${base}/${kept}`, owner), 409, 'version_kept');
    expect((await versionsOf(comicId)).length).toBe(all);

    // The owner deletes the editor's version: it is gone from the history, and the audit log says who and what.
    expect((await inject('DELETE', `${base}/${draft}`, owner)).statusCode).toBe(200);
    expect((await inject('GET', base, viewer)).json().data.map((v: { id: string }) => v.id)).not.toContain(draft);
    expectError(await inject('GET', `${base}/${draft}`, viewer), 404, 'not_found');
    expectError(await inject('DELETE', `${base}/${draft}`, owner), 404, 'not_found');
    const [entry] = await database.db.select().from(schema.auditLogs).where(and(eq(schema.auditLogs.resourceId, comicId), eq(schema.auditLogs.action, 'comic.version_deleted')));
    expect(entry).toMatchObject({ userId: owner.id, oldValues: { version: 'Draft', kind: 'named' } });

    // The version kept before a restore can go too, by an editor.
    const restored = await inject('POST', `${base}/${auto}/restore`, editor);
    expect(restored.statusCode, restored.body).toBe(202);
    const before = restored.json().data.before.id;
    expect((await inject('DELETE', `${base}/${before}`, editor)).statusCode).toBe(200);
    expect((await versionsOf(comicId)).map((v) => v.id).sort()).toEqual([auto!, published!].sort());
  });

  it(`a comic keeps at most ${MAX_NAMED_VERSIONS} named versions: one more is refused until one is deleted, also when two are saved at once`, async () => {
    const comicId = await sharedComic();
    const base = `/api/v1/comics/${comicId}/versions`;
    const [oldest] = await insertVersions(comicId, 'named', MAX_NAMED_VERSIONS - 1);
    await saveVersion(comicId, 'The last one that fits', editor);
    const refused = await inject('POST', base, editor, { name: 'One too many' });
    expectError(refused, 409, 'too_many_versions');
    expect(refused.json().error.message).toContain('delete one');
    expect(await versionsOf(comicId, 'named')).toHaveLength(MAX_NAMED_VERSIONS);

    expect((await inject('DELETE', `${base}/${oldest}`, editor)).statusCode).toBe(200);
    const both = await Promise.all([inject('POST', base, editor, { name: 'Mine' }), inject('POST', base, owner, { name: 'Theirs' })]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expect(await versionsOf(comicId, 'named')).toHaveLength(MAX_NAMED_VERSIONS);
  });

  it(`keeps the newest ${KEPT_VERSIONS_PER_KIND} versions taken before a restore and at a publish, and lets the older ones go`, async () => {
    const creator = await stack.signUp();
    await setRole(database.db, creator.id, 'creator');
    const cookie = await login(stack.api.app, creator.username, 'correct horse battery staple');
    const comicId = (await stack.api.app.inject({ method: 'POST', url: '/api/v1/comics', payload: { title: 'Often' }, headers: { cookie } })).json().data.id;
    await storeSummary(database.db, comicId, summaryWith({ bubble: 'Hi' }));
    const oldRestores = await insertVersions(comicId, 'restore', KEPT_VERSIONS_PER_KIND);
    const oldPublishes = await insertVersions(comicId, 'publish', KEPT_VERSIONS_PER_KIND);
    const [named] = await insertVersions(comicId, 'named', 1);

    const restored = await stack.api.app.inject({ method: 'POST', url: `/api/v1/comics/${comicId}/versions/${named}/restore`, headers: { cookie } });
    expect(restored.statusCode, restored.body).toBe(202);
    const published = await stack.api.app.inject({ method: 'POST', url: `/api/v1/comics/${comicId}/publish`, payload: { visibility: 'public' }, headers: { cookie } });
    expect(published.statusCode, published.body).toBe(200);

    const restores = (await versionsOf(comicId, 'restore')).map((v) => v.id);
    expect(restores).toEqual([...oldRestores.slice(1), restored.json().data.before.id]);
    const publishes = await versionsOf(comicId, 'publish');
    expect(publishes.map((v) => v.id).slice(0, -1)).toEqual(oldPublishes.slice(1));
    expect(publishes.at(-1)).toMatchObject({ createdBy: creator.id });
    expect(await versionsOf(comicId, 'named')).toHaveLength(1);
  });
});

describe('restore', () => {
  it('brings back exactly the earlier records for everyone live, keeps what was there, and a second restore undoes it', async () => {
    const comicId = await sharedComic();
    const [mine, theirs] = [await open(comicId, editor), await open(comicId, owner)];
    put(mine, PAGE, LEFT, caption('words', 'shape:left', 'a1', 'Before the rewrite'));
    await acknowledged(mine);
    const saved = await saveVersion(comicId, 'Before the rewrite', editor);
    const earlier = await versionRecords(saved);
    expect(Object.keys(earlier).sort()).toEqual(['page:p1', 'shape:left', 'shape:words']);

    // Both change the comic: one rewrites and adds a panel, the other removes the first panel.
    put(mine, RIGHT, caption('words', 'shape:left', 'a1', 'After the rewrite'));
    await acknowledged(mine);
    theirs.doc.transact(() => theirs.records.delete('shape:left'));
    await acknowledged(theirs);
    await waitFor(() => !mine.records.has('shape:left'), 'both to see every change');
    const changed = recordsIn(mine.doc);

    const restored = await inject('POST', `/api/v1/comics/${comicId}/versions/${saved}/restore`, editor);
    expect(restored.statusCode, restored.body).toBe(202);
    const before = restored.json().data.before;
    expect(before).toMatchObject({ kind: 'restore', createdBy: { id: editor.id } });
    const same = (a: object, b: object) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
    await waitFor(() => same(recordsIn(theirs.doc), earlier) && same(recordsIn(mine.doc), earlier), 'both to see the restored version', 15_000);
    expect(recordsIn(theirs.doc)).toEqual(earlier);
    // The comic as it was before the restore is a version of its own, with who changed it.
    await waitFor(async () => same(await versionRecords(before.id), changed), 'the restore version to hold the state before');
    const [row] = await database.db.select().from(comicVersions).where(eq(comicVersions.id, before.id));
    expect(row!.contributorIds.sort()).toEqual([editor.id, owner.id].sort());

    const undone = await inject('POST', `/api/v1/comics/${comicId}/versions/${before.id}/restore`, owner);
    expect(undone.statusCode, undone.body).toBe(202);
    await waitFor(() => same(recordsIn(mine.doc), changed) && same(recordsIn(theirs.doc), changed), 'the restore to be undone', 15_000);
    expect(recordsIn(mine.doc)).toEqual(changed);
    mine.close();
    theirs.close();
  });

  it('works on a comic nobody has open', async () => {
    const comicId = await sharedComic();
    const client = await open(comicId, editor);
    put(client, PAGE, LEFT);
    await acknowledged(client);
    const saved = await saveVersion(comicId, 'One panel');
    put(client, RIGHT);
    await acknowledged(client);
    client.close();
    expect((await inject('POST', `/api/v1/comics/${comicId}/versions/${saved}/restore`, editor)).statusCode).toBe(202);
    await waitFor(async () => {
      const [row] = await database.db.select({ state: schema.comicDocuments.state }).from(schema.comicDocuments).where(eq(schema.comicDocuments.comicId, comicId));
      const doc = new Y.Doc();
      Y.applyUpdate(doc, new Uint8Array(row!.state));
      return !recordsOf(doc).has('shape:right') && recordsOf(doc).has('shape:left');
    }, 'the stored document to be the version');
  });
});

describe('automatic versions', () => {
  const autos = (comicId: string) =>
    database.db.select().from(comicVersions).where(and(eq(comicVersions.comicId, comicId), eq(comicVersions.kind, 'auto'))).orderBy(comicVersions.createdAt);

  it('are taken when a changed comic is stored, at most one per ten minutes, with who changed it', async () => {
    const comicId = await sharedComic();
    const client = await open(comicId, editor);
    put(client, PAGE, LEFT);
    await acknowledged(client);
    await waitFor(async () => (await autos(comicId)).length === 1, 'an automatic version');
    const [first] = await autos(comicId);
    expect(first!.contributorIds).toEqual([editor.id]);
    expect(first!.summary.pages[0]!.panels.map((p) => p.id)).toEqual(['shape:left']);

    // More changes within ten minutes: no new version. The comic closes, and ten minutes pass (the first is made older).
    put(client, RIGHT);
    await acknowledged(client);
    client.close();
    await waitFor(() => !stack.collab.server.hocuspocus.documents.has(`comic:${comicId}`), 'the document to unload');
    await database.db.update(comicVersions).set({ createdAt: new Date(Date.now() - 11 * 60_000) }).where(eq(comicVersions.id, first!.id));

    const again = await open(comicId, owner);
    again.doc.transact(() => again.records.delete('shape:left'));
    await acknowledged(again);
    await waitFor(async () => (await autos(comicId)).length === 2, 'a second automatic version');
    const [, second] = await autos(comicId);
    // The editor's change after the first version counts too, though the comic was closed in between.
    expect(second!.contributorIds.sort()).toEqual([editor.id, owner.id].sort());
    expect(second!.summary.pages[0]!.panels.map((p) => p.id)).toEqual(['shape:right']);
    again.close();
  });
});

describe('retention', () => {
  it('keeps named versions and every automatic one of the last day, then one an hour for a week, then one a day', async () => {
    const comicId = await sharedComic();
    const otherComic = await sharedComic();
    const now = new Date();
    const hour = 3_600_000;
    const startOfHour = (t: number) => Math.floor(t / hour) * hour;
    const startOfDay = (t: number) => Math.floor(t / (24 * hour)) * 24 * hour;
    const threeDaysAgo = startOfHour(now.getTime() - 3 * 24 * hour);
    const tenDaysAgo = startOfDay(now.getTime() - 10 * 24 * hour);
    const at = (t: number) => new Date(t);
    const rows: { comicId: string; kind: 'auto' | 'named'; at: Date; label: string }[] = [
      { comicId, kind: 'auto', at: at(now.getTime() - hour), label: 'an hour ago' },
      { comicId, kind: 'auto', at: at(now.getTime() - 2 * hour), label: 'two hours ago' },
      { comicId, kind: 'auto', at: at(threeDaysAgo + 5 * 60_000), label: '3 days, :05' },
      { comicId, kind: 'auto', at: at(threeDaysAgo + 20 * 60_000), label: '3 days, :20' },
      { comicId, kind: 'auto', at: at(threeDaysAgo + 50 * 60_000), label: '3 days, :50' },
      { comicId, kind: 'auto', at: at(threeDaysAgo + hour + 10 * 60_000), label: '3 days, next hour' },
      { comicId, kind: 'auto', at: at(tenDaysAgo + 1 * hour), label: '10 days, 01:00' },
      { comicId, kind: 'auto', at: at(tenDaysAgo + 5 * hour), label: '10 days, 05:00' },
      { comicId, kind: 'auto', at: at(tenDaysAgo + 20 * hour), label: '10 days, 20:00' },
      { comicId, kind: 'named', at: at(tenDaysAgo + 2 * hour), label: '10 days, named' },
      { comicId: otherComic, kind: 'auto', at: at(threeDaysAgo + 30 * 60_000), label: 'other comic, 3 days, :30' },
    ];
    await database.db.insert(comicVersions).values(
      rows.map((r) => ({ comicId: r.comicId, kind: r.kind, name: r.label, state: Buffer.from([0, 0]), summary: { pages: [] }, createdAt: r.at })),
    );
    const unused = () => Promise.reject(new Error('not used by prune'));
    const versions = createVersionService({ db: database.db, comics: { requireRole: unused }, jobs: { editComic: unused }, audit: { record: unused } });
    expect(await versions.prune(now)).toBeGreaterThanOrEqual(4);

    const left = await database.db.select({ name: comicVersions.name }).from(comicVersions).where(eq(comicVersions.comicId, comicId));
    expect(left.map((r) => r.name).sort()).toEqual(['an hour ago', 'two hours ago', '3 days, :50', '3 days, next hour', '10 days, 20:00', '10 days, named'].sort());
    const other = await database.db.select({ name: comicVersions.name }).from(comicVersions).where(eq(comicVersions.comicId, otherComic));
    expect(other.map((r) => r.name)).toEqual(['other comic, 3 days, :30']);
  });
});
