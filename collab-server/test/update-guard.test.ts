import type { SerializedSchema } from '@tldraw/store';
import { DocumentRecordType, TLDOCUMENT_ID, type TLRecord } from '@tldraw/tlschema';
import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { bookmark, bubble, imageAsset } from '../src/model/fixtures.ts';
import { createComicSchema, docToSnapshot } from '../src/model/index.ts';
import { type Client, type Collab, type User, acknowledged, addMember, connect, note, sleep, storedRecords, synced, useStack, waitFor } from './helper.ts';

const stack = useStack();
let owner: User;
let editor: User;

beforeAll(async () => {
  [owner, editor] = [await stack.signUp(), await stack.signUp()];
});

/** A comic with the owner and an editor connected, and a record the owner wrote and saw stored. */
async function openComic(collab: Collab): Promise<{ comicId: string; ownerClient: Client; editorClient: Client }> {
  const comicId = await stack.newComic(owner);
  await addMember(stack.api, owner, comicId, editor, 'editor');
  const ownerClient = connect(collab.url, comicId, { cookie: owner.cookie });
  const editorClient = connect(collab.url, comicId, { cookie: editor.cookie });
  await Promise.all([synced(ownerClient), synced(editorClient)]);
  ownerClient.records.set('shape:first', note('first', 'a normal edit'));
  await acknowledged(ownerClient);
  return { comicId, ownerClient, editorClient };
}

/** Why the server refused the client's update, as the stateless message it sent. */
const refusals = (client: Client) => client.stateless.map((payload) => JSON.parse(payload)).filter((message) => message.type === 'update-refused');

/** Whether tldraw can load these records: every one valid for the comic schema (what opening the comic needs). */
function opens(records: Map<string, unknown>): boolean {
  const doc = new Y.Doc();
  for (const [id, record] of records) doc.getMap('records').set(id, record);
  const schema = createComicSchema();
  const migrated = schema.migrateStoreSnapshot(docToSnapshot(doc));
  if (migrated.type === 'error') return false;
  try {
    for (const record of Object.values(migrated.value) as TLRecord[]) schema.types[record.typeName].validate(record);
    return true;
  } catch {
    return false;
  }
}

/** Lets the server handle what the owner sends next, and store it: a marker after anything sent before. */
async function afterEverything(ownerClient: Client, id: string): Promise<void> {
  ownerClient.records.set(`shape:${id}`, note(id, 'after'));
  await acknowledged(ownerClient);
}

const bad: Array<[string, TLRecord]> = [
  ['a bookmark to a javascript: address', bookmark('evil-link', 'page:page', 'a2', 'javascript:alert(document.cookie)')],
  ['a picture from a javascript: source', imageAsset('evil-src', 'javascript:alert(document.cookie)')],
  ['a shape of an unknown type', { ...note('mystery', 'x'), type: 'mystery' } as unknown as TLRecord],
  ['a bubble lettered in a font we do not have', bubble('odd-font', 'page:page', 'a2', 'Hi', undefined, { lettering: 'wingdings' as 'auto' })],
  ['a comic default lettering font we do not have', DocumentRecordType.create({ id: TLDOCUMENT_ID, meta: { letteringFont: 'wingdings' } })],
];

describe('records a client writes', () => {
  it.each(bad)('refuses %s: not applied, stored or seen by anyone, and the comic still opens', async (_what, record) => {
    const { comicId, ownerClient, editorClient } = await openComic(stack.collab);
    let ownerSawIt = false;
    ownerClient.records.observe((event) => (ownerSawIt ||= event.keysChanged.has(record.id)));

    editorClient.records.set(record.id, record);
    await waitFor(() => editorClient.closedBecause === 'invalid-update', 'the editor’s document to be closed');
    expect(refusals(editorClient)).toEqual([{ type: 'update-refused', reason: 'invalid-update', message: expect.stringContaining(record.id) }]);
    expect(editorClient.provider.hasUnsyncedChanges).toBe(true);

    await afterEverything(ownerClient, 'marker');
    expect(ownerSawIt).toBe(false);
    const stored = await storedRecords(comicId);
    expect([...stored.keys()].sort()).toEqual(['shape:first', 'shape:marker']);
    expect(opens(stored)).toBe(true);

    // Everyone who opens it now gets the comic as it was, without the refused record.
    const later = connect(stack.collab.url, comicId, { cookie: editor.cookie });
    await synced(later);
    expect(later.records.has(record.id)).toBe(false);
    expect(opens(new Map(later.records.entries()))).toBe(true);
    for (const client of [ownerClient, editorClient, later]) client.close();
  });

  it('still applies, stores and acknowledges valid edits, and valid overwrites', async () => {
    const { comicId, ownerClient, editorClient } = await openComic(stack.collab);
    editorClient.records.set('shape:first', note('first', 'edited by the editor'));
    editorClient.doc.getMap('meta').set('schema', createComicSchema().serialize() satisfies SerializedSchema);
    // A bubble in a lettering font of its own, and the comic's default font.
    const lettered = bubble('lettered', 'page:page', 'a3', 'POW', undefined, { lettering: 'bangers' });
    const settings = DocumentRecordType.create({ id: TLDOCUMENT_ID, meta: { letteringFont: 'kalam' } });
    editorClient.records.set(lettered.id, lettered);
    editorClient.records.set(settings.id, settings);
    await acknowledged(editorClient);
    const stored = await storedRecords(comicId);
    expect(stored.get('shape:first')).toEqual(note('first', 'edited by the editor'));
    expect([stored.get(lettered.id), stored.get(settings.id)]).toEqual([lettered, settings]);
    const edited = JSON.stringify(note('first', 'edited by the editor'));
    await waitFor(() => JSON.stringify(ownerClient.records.get('shape:first')) === edited, 'the owner to see it');
    expect(refusals(editorClient)).toEqual([]);
    for (const client of [ownerClient, editorClient]) client.close();
  });
});

describe('size limits', () => {
  const big = (id: string, bytes: number) => note(id, 'x'.repeat(bytes));

  it('closes a socket that sends a message over the limit (1009), and stores nothing of it', async () => {
    const collab = await stack.startCollab({ limits: { messageBytes: 64 * 1024, documentBytes: 16 * 1024 * 1024 } });
    const { comicId, ownerClient, editorClient } = await openComic(collab);
    const codes: number[] = [];
    editorClient.socket.on('close', ({ event }: { event: { code: number } }) => codes.push(event.code));

    editorClient.records.set('shape:huge', big('huge', 100 * 1024));
    await waitFor(() => codes.includes(1009), 'the socket to be closed as Message Too Big');
    await afterEverything(ownerClient, 'marker');
    expect(ownerClient.records.has('shape:huge')).toBe(false);
    expect((await storedRecords(comicId)).has('shape:huge')).toBe(false);
    for (const client of [ownerClient, editorClient]) client.close();
  });

  it('opens a comic already over its limit (the limit was lowered since), and refuses only what would add to it', async () => {
    const comicId = await stack.newComic(owner);
    const writer = connect(stack.collab.url, comicId, { cookie: owner.cookie });
    await synced(writer);
    writer.records.set('shape:large', big('large', 30 * 1024));
    await acknowledged(writer);
    writer.close();

    const strict = await stack.startCollab({ limits: { messageBytes: 4 * 1024 * 1024, documentBytes: 16 * 1024 } });
    const reader = connect(strict.url, comicId, { cookie: owner.cookie });
    await synced(reader);
    expect(reader.records.has('shape:large')).toBe(true);
    // Its answer to the server's sync carries nothing (a new tab has nothing of its own): the comic stays open.
    await sleep(300);
    expect(reader.closedBecause).toBeUndefined();
    expect(refusals(reader)).toEqual([]);

    reader.records.set('shape:more', note('more', 'one more'));
    await waitFor(() => reader.closedBecause === 'document-too-large', 'the edit to be refused');
    expect([...(await storedRecords(comicId)).keys()].sort()).toEqual(['shape:large']);
    reader.close();
  });

  it('refuses an update that would make the document bigger than its limit, and stores nothing of it', async () => {
    const collab = await stack.startCollab({ limits: { messageBytes: 4 * 1024 * 1024, documentBytes: 48 * 1024 } });
    const { comicId, ownerClient, editorClient } = await openComic(collab);
    editorClient.records.set('shape:fits', big('fits', 20 * 1024));
    await acknowledged(editorClient);

    editorClient.records.set('shape:too-much', big('too-much', 30 * 1024));
    await waitFor(() => editorClient.closedBecause === 'document-too-large', 'the editor’s document to be closed');
    expect(refusals(editorClient)).toEqual([{ type: 'update-refused', reason: 'document-too-large', message: expect.stringContaining('48 KB') }]);
    await afterEverything(ownerClient, 'marker');
    await sleep(50);
    expect(ownerClient.records.has('shape:too-much')).toBe(false);
    expect([...(await storedRecords(comicId)).keys()].sort()).toEqual(['shape:first', 'shape:fits', 'shape:marker']);
    for (const client of [ownerClient, editorClient]) client.close();
  });
});
