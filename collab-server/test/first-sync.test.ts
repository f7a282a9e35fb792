// A comic opened from Postgres reaches a new client as the very bytes it was stored as (first-sync.ts), and
// never as it was once someone has changed it; a client that already holds part of it gets what it lacks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createComicDocumentStore } from '../src/comic-store.ts';
import { documentNameOf } from '../src/documents.ts';
import { recordsOf } from '../src/model/index.ts';
import { type User, connect, database, note, synced, useStack, waitFor } from './helper.ts';

const stack = useStack();
const store = createComicDocumentStore(database.db);
let owner: User;

beforeAll(async () => {
  owner = await stack.signUp();
});

/**
 * Stores a comic holding one note, as another Yjs writer could have: without garbage collection, so the text
 * of a note deleted meanwhile is still in the bytes. Encoding the document again (Hocuspocus' own answer to
 * a new client) would leave that text out: only the stored bytes themselves carry it.
 */
async function storeUncollected(comicId: string): Promise<Uint8Array> {
  const writer = new Y.Doc({ gc: false });
  recordsOf(writer).set('shape:kept', note('kept', 'kept'));
  recordsOf(writer).set('shape:gone', note('gone', 'the deleted text'));
  recordsOf(writer).delete('shape:gone');
  const state = Y.encodeStateAsUpdate(writer);
  const current = await store.load(comicId);
  expect((await store.save(comicId, { state }, current?.version ?? null)).status).toBe('saved');
  return state;
}

const isOpen = (comicId: string) => stack.collab.server.hocuspocus.documents.has(documentNameOf(comicId));

describe('the first sync of a comic opened from Postgres', () => {
  it('sends a new client the comic as it was stored', async () => {
    const comicId = await stack.newComic(owner);
    const stored = await storeUncollected(comicId);
    expect(isOpen(comicId)).toBe(false);

    // Without garbage collection the client keeps whatever it is sent, as it was sent.
    const reader = connect(stack.collab.url, comicId, { cookie: owner.cookie, doc: new Y.Doc({ gc: false }) });
    try {
      await synced(reader);
      expect([...reader.records.keys()]).toEqual(['shape:kept']);
      expect(Y.encodeStateAsUpdate(reader.doc)).toEqual(stored);
    } finally {
      reader.close();
    }
  });

  it('sends the comic as it is once someone changed it, not as it was stored', async () => {
    const comicId = await stack.newComic(owner);
    await storeUncollected(comicId);
    const writer = connect(stack.collab.url, comicId, { cookie: owner.cookie });
    try {
      await synced(writer);
      writer.records.set('shape:new', note('new', 'written after the open'));
      const reader = connect(stack.collab.url, comicId, { cookie: owner.cookie });
      try {
        await synced(reader);
        await waitFor(() => reader.records.has('shape:new'), 'the change made since the comic was opened');
        expect([...reader.records.keys()].sort()).toEqual(['shape:kept', 'shape:new']);
      } finally {
        reader.close();
      }
    } finally {
      writer.close();
    }
  });

  it('sends a client that already holds part of the comic what it lacks, and takes what it brings', async () => {
    const comicId = await stack.newComic(owner);
    await storeUncollected(comicId);
    // A tab that wrote while offline: its state vector is not empty.
    const doc = new Y.Doc();
    recordsOf(doc).set('shape:offline', note('offline', 'written offline'));
    const returning = connect(stack.collab.url, comicId, { cookie: owner.cookie, doc });
    try {
      await synced(returning);
      await waitFor(() => returning.records.has('shape:kept'), 'the stored note');
      const server = stack.collab.server.hocuspocus.documents.get(documentNameOf(comicId))!;
      await waitFor(() => recordsOf(server).has('shape:offline'), 'the offline note on the server');
      expect([...returning.records.keys()].sort()).toEqual(['shape:kept', 'shape:offline']);
    } finally {
      returning.close();
    }
  });
});
