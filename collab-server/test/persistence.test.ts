import { randomUUID } from 'node:crypto';
import { getIndices } from '@tldraw/utils';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { schema } from '@inkwell/db';
import { type ComicDocumentStore, createComicDocumentStore } from '../src/comic-store.ts';
import { documentNameOf } from '../src/documents.ts';
import { bubble, image, imageAsset, page, panel } from '../src/model/fixtures.ts';
import { layoutTemplate, readRecords, summarizeComic } from '../src/model/index.ts';
import {
  type Collab,
  type User,
  acknowledged,
  connect,
  database,
  note,
  sleep,
  storedRecords,
  synced,
  uniquePrefix,
  useStack,
  waitFor,
} from './helper.ts';

/** The real store, with a count of what it was asked, a switch to make it fail, and one to hold its saves. */
function spyStore() {
  const real = createComicDocumentStore(database.db);
  const spy = {
    saves: 0,
    loads: 0,
    failSaves: false,
    failLoads: false,
    /** While set, each save waits for it before writing. */
    holdSaves: undefined as Promise<void> | undefined,
    async load(comicId: string) {
      spy.loads += 1;
      if (spy.failLoads) throw new Error('postgres is down (test)');
      return real.load(comicId);
    },
    async save(...args: Parameters<ComicDocumentStore['save']>) {
      spy.saves += 1;
      if (spy.failSaves) throw new Error('postgres is down (test)');
      await spy.holdSaves;
      return real.save(...args);
    },
  };
  return spy;
}

const stack = useStack({ collab: false });
let owner: User;

const serverWith = (store?: ComicDocumentStore) => stack.startCollab({}, store ? { store } : {});

const isOpen = (collab: Collab, comicId: string) => collab.server.hocuspocus.documents.has(documentNameOf(comicId));

beforeAll(async () => {
  owner = await stack.signUp();
});

describe('persistence', () => {
  it('stores the document with its summary, thumbnail and pictures, and loads it on the next first open', async () => {
    const collab = await serverWith();
    const comicId = await stack.newComic(owner);
    const client = connect(collab.url, comicId, { cookie: owner.cookie });
    await synced(client);
    const looseMediaId = randomUUID();
    const records = [
      page('p1', 'Page 1', 'a1'),
      ...layoutTemplate('grid-2x2').map((rect, i) => panel(`panel${i}`, 'page:p1', `a${i + 1}`, rect)),
      bubble('hello', 'shape:panel0', 'a1', 'Hello there'),
      // A picture left on the page, outside every panel: not in the summary, still in the comic.
      imageAsset('loose', `/api/v1/media/${looseMediaId}/file`),
      image('loose', 'page:p1', 'a9', 'asset:loose'),
    ];
    client.doc.transact(() => records.forEach((record) => client.records.set(record.id, record)));
    await acknowledged(client);

    const [comic] = await database.db.select().from(schema.comics).where(eq(schema.comics.id, comicId));
    expect(comic!.panels).toEqual(summarizeComic(readRecords(client.doc)));
    expect(comic!.panels).toMatchObject({ pages: [{ id: 'page:p1', panels: [{ id: 'shape:panel0', text: ['Hello there'] }, {}, {}, {}] }] });
    expect(comic!.thumbnailUrl).toMatch(/^data:image\/svg\+xml,/);
    expect(comic!.thumbnailUrl!.length).toBeLessThanOrEqual(2048);
    expect(comic!.thumbnailUrl!.match(/%3Crect /g)).toHaveLength(5);
    expect(comic!.updatedAt.getTime()).toBeGreaterThan(comic!.createdAt.getTime());
    expect(comic!.mediaIds).toEqual([looseMediaId]);

    client.close();
    await waitFor(() => !isOpen(collab, comicId), 'the document to be unloaded');
    const later = connect(collab.url, comicId, { cookie: owner.cookie });
    await synced(later);
    expect(later.records.toJSON()).toEqual(client.records.toJSON());
    later.close();
  });

  it('stores a comic of many records whole, compressed with lz4 where Postgres has it', async () => {
    const collab = await serverWith();
    const comicId = await stack.newComic(owner);
    const client = connect(collab.url, comicId, { cookie: owner.cookie });
    await synced(client);
    // Well past the 2 KB from which Postgres compresses a value.
    const bubbles = getIndices(200).map((index, i) => bubble(`b${i}`, 'page:p1', index, `Line ${i}: ${randomUUID()}`));
    client.doc.transact(() => [page('p1', 'Page 1', 'a1'), ...bubbles].forEach((record) => client.records.set(record.id, record)));
    await acknowledged(client);

    const [row] = (await database.sql`
      select octet_length(state) as size, pg_column_compression(state) as compression,
        exists (select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any (enumvals)) as has_lz4
      from comic_documents where comic_id = ${comicId}`) as unknown as [{ size: number; compression: string; has_lz4: boolean }];
    expect(row.size).toBeGreaterThan(20_000);
    expect(row.compression).toBe(row.has_lz4 ? 'lz4' : 'pglz');
    expect(Object.fromEntries(await storedRecords(comicId))).toEqual(client.records.toJSON());
    client.close();
  });

  it('stores nothing when nothing changed', async () => {
    const store = spyStore();
    const collab = await serverWith(store);
    const comicId = await stack.newComic(owner);

    for (let visit = 0; visit < 2; visit++) {
      const client = connect(collab.url, comicId, { cookie: owner.cookie });
      await synced(client);
      client.close();
      await waitFor(() => !isOpen(collab, comicId), 'the document to be unloaded');
    }
    const direct = await collab.server.hocuspocus.openDirectConnection(documentNameOf(comicId));
    await direct.disconnect();
    expect(store.loads).toBe(3);
    expect(store.saves).toBe(0);

    const client = connect(collab.url, comicId, { cookie: owner.cookie });
    await synced(client);
    client.records.set('shape:one', note('one', 'a change'));
    await acknowledged(client);
    await sleep(400);
    expect(store.saves).toBe(1);
    client.close();
    await waitFor(() => !isOpen(collab, comicId), 'the document to be unloaded');
    expect(store.saves).toBe(1);
  });

  it('keeps a document whose store fails in memory, retries, and only then acknowledges the edit', async () => {
    const store = spyStore();
    const collab = await serverWith(store);
    const comicId = await stack.newComic(owner);
    const client = connect(collab.url, comicId, { cookie: owner.cookie });
    await synced(client);

    store.failSaves = true;
    client.records.set('shape:precious', note('precious', 'must not be lost'));
    await waitFor(() => store.saves >= 3, 'the store to be retried');
    expect(client.provider.hasUnsyncedChanges).toBe(true);

    // The last client leaves: the document stays, since its change is not stored.
    client.close();
    await sleep(300);
    expect(isOpen(collab, comicId)).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${collab.port}/metrics`)).text();
    expect(Number(/^collab_store_failures_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);

    store.failSaves = false;
    await waitFor(() => !isOpen(collab, comicId), 'the document to be stored and unloaded');
    expect((await storedRecords(comicId)).get('shape:precious')).toEqual(note('precious', 'must not be lost'));
  });

  /** A new comic on a server storing through a spy store, open in a client whose every change is acknowledged. */
  async function openWithSpyStore() {
    const store = spyStore();
    const collab = await serverWith(store);
    const comicId = await stack.newComic(owner);
    const client = connect(collab.url, comicId, { cookie: owner.cookie });
    await synced(client);
    await acknowledged(client);
    return { store, comicId, client };
  }

  it('acknowledges edits only once they are stored', async () => {
    const { store, comicId, client } = await openWithSpyStore();
    store.failSaves = true;
    client.records.set('shape:pending', note('pending', 'not stored yet'));
    await sleep(500);
    expect(client.provider.hasUnsyncedChanges).toBe(true);
    store.failSaves = false;
    await acknowledged(client);
    expect((await storedRecords(comicId)).has('shape:pending')).toBe(true);
    client.close();
  });

  it('acknowledges an edit made while a store runs with the next store, and the ones it covered with this one', async () => {
    const { store, comicId, client } = await openWithSpyStore();
    // Two edits, then a store that takes them (its state is read before it waits to write).
    const first = Promise.withResolvers<void>();
    store.holdSaves = first.promise;
    const savesBefore = store.saves;
    client.records.set('shape:one', note('one', 'first'));
    client.records.set('shape:two', note('two', 'second'));
    await waitFor(() => store.saves === savesBefore + 1, 'the store of the first two edits to start');
    // A third edit while that store waits: it is not in it.
    client.records.set('shape:three', note('three', 'made during the store'));
    await waitFor(() => client.provider.unsyncedChanges === 3, 'the three edits to be sent');

    const second = Promise.withResolvers<void>();
    store.holdSaves = second.promise;
    first.resolve();
    await waitFor(() => client.provider.unsyncedChanges === 1, 'the first store to acknowledge its two edits');
    await waitFor(() => store.saves === savesBefore + 2, 'the next store to start');
    await sleep(300);
    expect(client.provider.unsyncedChanges).toBe(1);
    expect((await storedRecords(comicId)).has('shape:three')).toBe(false);

    second.resolve();
    await acknowledged(client);
    expect((await storedRecords(comicId)).get('shape:three')).toEqual(note('three', 'made during the store'));
    client.close();
  });

  it('destroys a document that failed to load instead of keeping it (hocuspocus#1156)', async () => {
    const store = spyStore();
    const collab = await serverWith(store);
    const comicId = await stack.newComic(owner);
    const loading: Array<{ isDestroyed: boolean }> = [];
    collab.server.hocuspocus.configuration.extensions.unshift({
      async onLoadDocument({ document }) {
        loading.push(document);
      },
    });

    store.failLoads = true;
    const refused = connect(collab.url, comicId, { cookie: owner.cookie });
    await waitFor(() => refused.refused !== undefined, 'the connection to fail');
    refused.close();
    await waitFor(() => loading[0]?.isDestroyed === true, 'the failed document to be destroyed');
    expect(collab.server.hocuspocus.documents.size).toBe(0);
    expect(collab.server.hocuspocus.loadingDocuments.size).toBe(0);

    store.failLoads = false;
    const client = connect(collab.url, comicId, { cookie: owner.cookie });
    await synced(client);
    expect(loading).toHaveLength(2);
    expect(loading[1]!.isDestroyed).toBe(false);
    client.close();
  });

  it('merges what another writer stored meanwhile instead of overwriting it', async () => {
    // Two servers that do not hear each other (no shared Redis prefix) only meet in Postgres.
    const first = await serverWith();
    const second = await stack.startCollab({ redisPrefix: uniquePrefix() });
    const comicId = await stack.newComic(owner);
    const a = connect(first.url, comicId, { cookie: owner.cookie });
    const b = connect(second.url, comicId, { cookie: owner.cookie });
    await Promise.all([synced(a), synced(b)]);

    a.records.set('shape:a', note('a', 'stored first'));
    await acknowledged(a);
    b.records.set('shape:b', note('b', 'stored second'));
    await acknowledged(b);

    const stored = await storedRecords(comicId);
    expect([...stored.keys()].sort()).toEqual(['shape:a', 'shape:b']);
    // The second server took the first one's edit in, and passed it on to its client.
    await waitFor(() => b.records.has('shape:a'), 'the merged edit to reach the second server’s client');
    a.close();
    b.close();
  });
});

describe('the document store', () => {
  const store = createComicDocumentStore(database.db);
  const bytes = (...values: number[]) => new Uint8Array(values);
  const comicRow = async (comicId: string) => (await database.db.select().from(schema.comics).where(eq(schema.comics.id, comicId)))[0]!;

  it('writes only over the version it read, each version later than the last, and tells a conflict from a deleted comic', async () => {
    const comicId = await stack.newComic(owner);
    // An empty comic's summary: not the column's default.
    const summary = summarizeComic(readRecords(new Y.Doc()));

    const mediaIds = [randomUUID()];
    const first = await store.save(comicId, { state: bytes(1), derived: { panels: summary, thumbnailUrl: '/thumbnail-1', mediaIds } }, null);
    if (first.status !== 'saved') throw new Error(`first write: ${first.status}`);
    expect(await comicRow(comicId)).toMatchObject({ panels: summary, thumbnailUrl: '/thumbnail-1', mediaIds, updatedAt: first.version });

    // A writer that saw no document, or an older version, is told what is stored instead of overwriting it.
    expect(await store.save(comicId, { state: bytes(2) }, null)).toEqual({ status: 'conflict', stored: { state: bytes(1), version: first.version } });
    const second = await store.save(comicId, { state: bytes(3) }, first.version);
    if (second.status !== 'saved') throw new Error(`second write: ${second.status}`);
    expect(second.version.getTime()).toBeGreaterThan(first.version.getTime());
    expect(await store.save(comicId, { state: bytes(4) }, first.version)).toEqual({ status: 'conflict', stored: { state: bytes(3), version: second.version } });
    expect(await store.load(comicId)).toEqual({ state: bytes(3), version: second.version });
    // A write without a summary leaves the last one, and makes the pictures the document holds unknown.
    expect(await comicRow(comicId)).toMatchObject({ panels: summary, thumbnailUrl: '/thumbnail-1', mediaIds: null, updatedAt: second.version });

    await database.db.delete(schema.comics).where(eq(schema.comics.id, comicId));
    expect(await store.save(comicId, { state: bytes(5) }, second.version)).toEqual({ status: 'gone' });
    expect(await store.load(comicId)).toBeNull();
  });

  it('writes over a document whose version has finer than millisecond precision, as one written elsewhere could', async () => {
    const comicId = await stack.newComic(owner);
    // Postgres keeps microseconds; the version a writer reads back is a Date, which keeps milliseconds.
    await database.sql`insert into comic_documents (comic_id, state, updated_at) values (${comicId}, ${Buffer.from([1])}, '2026-01-01 00:00:00.123456+00')`;
    const loaded = await store.load(comicId);
    expect(loaded?.version.toISOString()).toBe('2026-01-01T00:00:00.123Z');
    const saved = await store.save(comicId, { state: bytes(2) }, loaded!.version);
    expect(saved.status).toBe('saved');
    expect((await store.load(comicId))?.state).toEqual(bytes(2));
  });
});
