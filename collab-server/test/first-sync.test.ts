// A comic opened from Postgres reaches a new client as the very bytes it was stored as (first-sync.ts), and
// never as it was once someone has changed it; a client that already holds part of it gets what it lacks.
// The client that opens it gets those bytes while the server is still loading the comic.
import type { Document, Extension } from '@hocuspocus/server';
import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createComicDocumentStore } from '../src/comic-store.ts';
import { documentNameOf } from '../src/documents.ts';
import { recordsOf } from '../src/model/index.ts';
import { type User, acknowledged, connect, countSyncMessages, database, note, synced, useStack, waitFor } from './helper.ts';

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

/** Holds the load of every document open after Inkwell's own hooks (the comic is read and built by then) until released. */
function loadGate() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reach!: (document: Document) => void;
  const holding = new Promise<Document>((resolve) => (reach = resolve));
  const extension: Extension = {
    extensionName: 'load-gate',
    async onLoadDocument({ document }) {
      reach(document);
      await released;
    },
  };
  return { extension, holding, release };
}

/** A stored comic and a client opening it on a collab-server whose load of the comic is held open (`gate`). */
async function openWhileLoading(doc?: Y.Doc) {
  const gate = loadGate();
  const collab = await stack.startCollab({}, { extensions: [gate.extension] });
  const comicId = await stack.newComic(owner);
  const stored = await storeUncollected(comicId);
  const reader = connect(collab.url, comicId, { cookie: owner.cookie, ...(doc && { doc }) });
  return { gate, collab, comicId, stored, reader };
}

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

  it('sends the comic, once, to the client that opens it while the server is still loading it', async () => {
    const { gate, collab, comicId, stored, reader } = await openWhileLoading(new Y.Doc({ gc: false }));
    const states = countSyncMessages(reader, 'second step');
    try {
      await gate.holding;
      await synced(reader);
      expect(collab.server.hocuspocus.documents.has(documentNameOf(comicId))).toBe(false);
      expect(Y.encodeStateAsUpdate(reader.doc)).toEqual(stored);

      gate.release();
      // Once the comic is loaded, the client is one of its connections: its edit is applied and stored.
      reader.records.set('shape:after', note('after', 'written once the comic was loaded'));
      await acknowledged(reader);
      const loaded = collab.server.hocuspocus.documents.get(documentNameOf(comicId))!;
      expect([...recordsOf(loaded).keys()].sort()).toEqual(['shape:after', 'shape:kept']);
      expect(states.count).toBe(1);
    } finally {
      reader.close();
    }
  });

  it('sends the comic again, as it is, to a client answered early when it changed before its load ended', async () => {
    const { gate, reader } = await openWhileLoading();
    try {
      const loading = await gate.holding;
      await synced(reader);
      // A change that reached the server while it loaded the comic (from another instance, say): no connection
      // of the comic exists yet to be sent it.
      recordsOf(loading).set('shape:during', note('during', 'written while the comic loaded'));
      gate.release();
      await waitFor(() => reader.records.has('shape:during'), 'the change made while the comic loaded');
      expect([...reader.records.keys()].sort()).toEqual(['shape:during', 'shape:kept']);
    } finally {
      reader.close();
    }
  });
});
