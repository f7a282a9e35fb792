import { beforeAll, describe, expect, it } from 'vitest';
import { documentNameOf } from '../src/documents.ts';
import { type User, acknowledged, addMember, collabToken, connect, note, sleep, storedRecords, synced, useStack, waitFor } from './helper.ts';

const stack = useStack();
let owner: User;
let viewer: User;
let stranger: User;
let comicId: string;

beforeAll(async () => {
  [owner, viewer, stranger] = [await stack.signUp(), await stack.signUp(), await stack.signUp()];
  comicId = await stack.newComic(owner);
  await addMember(stack.api, owner, comicId, viewer, 'viewer');
});

const refusedWith = async (client: ReturnType<typeof connect>) => {
  await waitFor(() => client.refused !== undefined, 'the connection to be refused');
  client.close();
  return client.refused;
};

describe('who may connect', () => {
  it('refuses an anonymous connection, a stale session, a non-member and a name that is not a comic’s', async () => {
    expect(await refusedWith(connect(stack.collab.url, comicId, {}))).toBe('unauthorized');
    expect(await refusedWith(connect(stack.collab.url, comicId, { cookie: 'inkwell_session=nope.nope' }))).toBe('unauthorized');
    expect(await refusedWith(connect(stack.collab.url, comicId, { cookie: stranger.cookie }))).toBe('forbidden');
    expect(await refusedWith(connect(stack.collab.url, comicId, { cookie: owner.cookie, documentName: 'notes:1' }))).toBe('forbidden');
    const shouting = `comic:${comicId.toUpperCase()}`;
    expect(await refusedWith(connect(stack.collab.url, comicId, { cookie: owner.cookie, documentName: shouting }))).toBe('forbidden');
    // Refused connections never load the document.
    expect(stack.collab.server.hocuspocus.documents.has(documentNameOf(comicId))).toBe(false);
  });

  it('accepts a collab token from the API instead of the cookie, for that comic only', async () => {
    const token = await collabToken(stack.api, owner, comicId);
    const client = connect(stack.collab.url, comicId, { token });
    await synced(client);
    expect(client.provider.authorizedScope).toBe('read-write');
    client.close();

    const otherComic = await stack.newComic(owner);
    expect(await refusedWith(connect(stack.collab.url, otherComic, { token }))).toBe('unauthorized');
  });
});

describe('viewers', () => {
  it('see edits live, but their own edits reach neither the others nor the database', async () => {
    const editing = connect(stack.collab.url, comicId, { cookie: owner.cookie });
    const watching = connect(stack.collab.url, comicId, { cookie: viewer.cookie });
    await Promise.all([synced(editing), synced(watching)]);
    expect(watching.provider.authorizedScope).toBe('readonly');

    watching.records.set('shape:vandalism', note('vandalism', 'viewer wrote this'));
    editing.records.set('shape:story', note('story', 'owner wrote this'));
    await waitFor(() => watching.records.has('shape:story'), 'the viewer to see the owner’s edit');
    await acknowledged(editing);
    await sleep(300);

    expect(editing.records.has('shape:vandalism')).toBe(false);
    expect([...(await storedRecords(comicId)).keys()]).toEqual(['shape:story']);
    expect(watching.provider.hasUnsyncedChanges).toBe(true);

    // Someone arriving later gets the document without the viewer's edit.
    const later = connect(stack.collab.url, comicId, { cookie: owner.cookie });
    await synced(later);
    expect(later.records.has('shape:vandalism')).toBe(false);
    for (const client of [editing, watching, later]) client.close();
  });
});
