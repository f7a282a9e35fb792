// What the fan-out must keep however it is batched: edits arrive in the order they were made, on one
// instance and across two; each reaches every client but the one that made it; an edit is acknowledged only
// once stored; and two instances catch up on what Redis lost while one of them was disconnected from it.
import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { type ComicDocumentStore, createComicDocumentStore } from '../src/comic-store.ts';
import { documentNameOf } from '../src/documents.ts';
import { RedisSync } from '../src/extensions/redis-sync.ts';
import { recordsOf } from '../src/model/index.ts';
import { type Client, type Collab, type User, addMember, connect, countSyncMessages, database, note, synced, useStack, waitFor } from './helper.ts';

const stack = useStack({ collab: false });
let one: Collab;
let two: Collab;
let owner: User;
let editor: User;

beforeAll(async () => {
  [one, two] = await stack.startPair();
  [owner, editor] = [await stack.signUp(), await stack.signUp()];
});

type Caption = { props: { richText: { content: Array<{ content?: Array<{ text: string }> }> } } };
/** The number a caption written by `note()` says (0 when it is not there). */
const textOf = (client: Client, key: string) => Number((client.records.get(key as never) as Caption | undefined)?.props.richText.content[0]?.content?.[0]?.text ?? 0);

/** Each value a client sees `key` take, in the order it sees them. */
function watch(client: Client, key: string): number[] {
  const seen: number[] = [];
  client.records.observe((event) => {
    if (event.keysChanged.has(key)) seen.push(textOf(client, key));
  });
  return seen;
}

async function sharedComic(): Promise<string> {
  const comicId = await stack.newComic(owner);
  await addMember(stack.api, owner, comicId, editor, 'editor');
  return comicId;
}

describe('order', () => {
  it('every client sees a writer’s edits in the order they were made, and a reply never before what it answers', async () => {
    const comicId = await sharedComic();
    const writer = connect(one.url, comicId, { cookie: owner.cookie });
    const replier = connect(two.url, comicId, { cookie: editor.cookie });
    const watchers = [connect(one.url, comicId, { cookie: owner.cookie }), connect(two.url, comicId, { cookie: editor.cookie })];
    await Promise.all([writer, replier, ...watchers].map(synced));

    // The replier answers each value it sees with the same value under another key.
    replier.records.observe((event) => {
      if (event.keysChanged.has('shape:counter')) replier.records.set('shape:reply', note('reply', String(textOf(replier, 'shape:counter'))));
    });
    const counters = [replier, ...watchers].map((client) => watch(client, 'shape:counter'));
    const early: string[] = [];
    watchers.forEach((client, n) =>
      client.records.observe((event) => {
        const reply = textOf(client, 'shape:reply');
        if (event.keysChanged.has('shape:reply') && reply > textOf(client, 'shape:counter')) early.push(`watcher ${n} saw reply ${reply} first`);
      }),
    );

    const last = 60;
    for (let i = 1; i <= last; i++) {
      writer.records.set('shape:counter', note('counter', String(i)));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waitFor(() => watchers.every((client) => textOf(client, 'shape:reply') === last), 'the last reply to reach everyone');
    for (const seen of counters) {
      expect(seen.at(-1)).toBe(last);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(new Set(seen).size).toBe(seen.length);
    }
    expect(early).toEqual([]);
    for (const client of [writer, replier, ...watchers]) client.close();
  });
});

describe('fan-out', () => {
  it('sends an edit to every other client, on both instances, and not back to the client that made it', async () => {
    const comicId = await sharedComic();
    const writer = connect(one.url, comicId, { cookie: owner.cookie });
    const readers = [connect(one.url, comicId, { cookie: editor.cookie }), connect(two.url, comicId, { cookie: editor.cookie })];
    await Promise.all([writer, ...readers].map(synced));
    const [toWriter, ...toReaders] = [writer, ...readers].map((client) => countSyncMessages(client, 'update'));

    for (let i = 0; i < 5; i++) {
      writer.records.set(`shape:w${i}` as never, note(`w${i}`, `edit ${i}`));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await waitFor(() => readers.every((reader) => reader.records.has('shape:w4')), 'every edit to reach the readers');
    // A socket keeps its messages' order: an echo of the writer's edits would come before this reply.
    readers[0]!.records.set('shape:reply', note('reply', 'seen'));
    await waitFor(() => writer.records.has('shape:reply'), 'the reply to reach the writer');
    // The reader on the other instance hears the reply through Redis: later than the writer, who shares its instance.
    await waitFor(() => readers[1]!.records.has('shape:reply'), 'the reply to reach the other instance');

    expect(toWriter!.count).toBe(1);
    for (const received of toReaders) expect(received.count).toBeGreaterThanOrEqual(5);
    for (const client of [writer, ...readers]) expect(client.records.toJSON()).toEqual(writer.records.toJSON());
    for (const client of [writer, ...readers]) client.close();
  });

  it('sends the first change of an event-loop turn at once, and the rest of the turn’s changes together', async () => {
    const comicId = await sharedComic();
    const reader = connect(one.url, comicId, { cookie: owner.cookie });
    await synced(reader);
    const received = countSyncMessages(reader, 'update');
    const document = one.server.hocuspocus.documents.get(documentNameOf(comicId))!;
    // Five changes in one turn, as a server-side edit could make them: five transactions.
    for (let i = 0; i < 5; i++) recordsOf(document).set(`shape:s${i}` as never, note(`s${i}`, `server edit ${i}`));
    await waitFor(() => reader.records.has('shape:s4'), 'the server’s changes to reach the client');
    expect(received.count).toBe(2);
    reader.close();
  });

  it('sends a client the part of another’s edit that its own edit completed', async () => {
    // A record made and then deleted in one tab: the deletion builds on the record.
    const tab = new Y.Doc();
    recordsOf(tab).set('shape:draft', note('draft', 'made, then deleted'));
    const made = Y.encodeStateAsUpdate(tab);
    const before = Y.encodeStateVector(tab);
    recordsOf(tab).delete('shape:draft');
    const deleted = Y.encodeStateAsUpdate(tab, before);

    const comicId = await sharedComic();
    const [early, late] = [connect(one.url, comicId, { cookie: owner.cookie }), connect(one.url, comicId, { cookie: editor.cookie })];
    await Promise.all([early, late].map(synced));
    // The deletion reaches the server first: Yjs holds it back until the record arrives, from another client,
    // and applies both then, as one change of that client's. That client holds only the record.
    early.provider.documentUpdateHandler(deleted, null);
    await new Promise((resolve) => setTimeout(resolve, 100));
    Y.applyUpdate(late.doc, made);
    expect(late.records.has('shape:draft')).toBe(true);

    await waitFor(() => !late.records.has('shape:draft'), 'the deletion to reach the client that sent the record');
    expect(early.records.has('shape:draft')).toBe(false);
    expect(early.records.toJSON()).toEqual(late.records.toJSON());
    early.close();
    late.close();
  });
});

describe('acknowledgements', () => {
  it('come only for edits that are stored, however many are released at once', async () => {
    const real = createComicDocumentStore(database.db);
    let storedKeys = new Set<string>();
    const store: ComicDocumentStore = {
      load: (comicId) => real.load(comicId),
      async save(comicId, write, expected) {
        const result = await real.save(comicId, write, expected);
        const doc = new Y.Doc();
        Y.applyUpdate(doc, write.state);
        if (result.status === 'saved') storedKeys = new Set(recordsOf(doc).keys());
        return result;
      },
    };
    const collab = await stack.startCollab({ store: { debounceMs: 100, maxDebounceMs: 300, retryBaseMs: 50, retryMaxMs: 200 } }, { store });
    const comicId = await sharedComic();
    const clients = [connect(collab.url, comicId, { cookie: owner.cookie }), connect(collab.url, comicId, { cookie: editor.cookie })];
    await Promise.all(clients.map(synced));

    const problems: string[] = [];
    const written = clients.map(() => [] as string[]);
    clients.forEach((client, n) =>
      client.provider.on('unsyncedChanges', ({ number }: { number: number }) => {
        // Acknowledgements come in the order of the edits: the first `written - number` are acknowledged. The
        // count also holds the first sync's answer until it comes (later when the other client wrote first), so
        // it may exceed what was written: then nothing is acknowledged yet (a negative end would slice from the end).
        const acknowledged = written[n]!.slice(0, Math.max(0, written[n]!.length - number));
        const missing = acknowledged.filter((key) => !storedKeys.has(key));
        if (missing.length > 0) problems.push(`client ${n}: ${missing.join(', ')} acknowledged, not stored`);
      }),
    );
    for (let i = 0; i < 40; i++) {
      clients.forEach((client, n) => {
        const key = `shape:c${n}-${i}`;
        written[n]!.push(key);
        client.records.set(key as never, note(`c${n}-${i}`, `edit ${i}`));
      });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await waitFor(() => clients.every((client) => !client.provider.hasUnsyncedChanges), 'every edit to be acknowledged');
    expect(problems).toEqual([]);
    expect(written.flat().every((key) => storedKeys.has(key))).toBe(true);
    for (const client of clients) client.close();
  });
});

describe('Redis', () => {
  it('an instance that lost its Redis subscription catches up on what it missed once reconnected', async () => {
    const comicId = await sharedComic();
    const here = connect(one.url, comicId, { cookie: owner.cookie });
    const there = connect(two.url, comicId, { cookie: editor.cookie });
    await Promise.all([synced(here), synced(there)]);
    here.records.set('shape:before', note('before', 'both see this'));
    await waitFor(() => there.records.has('shape:before'), 'an edit to travel through Redis');

    const sync = two.server.hocuspocus.configuration.extensions.find((extension) => extension instanceof RedisSync)!;
    await sync.sub.disconnect();
    await waitFor(() => sync.sub.status === 'end', 'the subscriber to be disconnected');
    here.records.set('shape:missed', note('missed', 'published while the other instance was not listening'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(there.records.has('shape:missed')).toBe(false);

    await sync.sub.connect();
    await waitFor(() => there.records.has('shape:missed'), 'the other instance to catch up');
    expect(here.records.toJSON()).toEqual(there.records.toJSON());
    here.close();
    there.close();
  });
});
