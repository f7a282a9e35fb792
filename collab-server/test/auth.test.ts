import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentNameOf } from '../src/documents.ts';
import {
  type Api,
  type Collab,
  type User,
  acknowledged,
  addMember,
  collabConfig,
  collabToken,
  connect,
  createComic,
  database,
  note,
  signUp,
  sleep,
  startApi,
  startCollab,
  storedRecords,
  synced,
  uniquePrefix,
  waitFor,
} from './helper.ts';

let api: Api;
let collab: Collab;
let owner: User;
let viewer: User;
let stranger: User;
let comicId: string;

beforeAll(async () => {
  const prefix = uniquePrefix();
  api = await startApi(prefix);
  collab = await startCollab(collabConfig(api, prefix));
  [owner, viewer, stranger] = [await signUp(api), await signUp(api), await signUp(api)];
  comicId = await createComic(api, owner);
  await addMember(api, owner, comicId, viewer, 'viewer');
});

afterAll(async () => {
  await collab.server.close();
  await api.close();
  await database.close();
});

const refusedWith = async (client: ReturnType<typeof connect>) => {
  await waitFor(() => client.refused !== undefined, 'the connection to be refused');
  client.close();
  return client.refused;
};

describe('who may connect', () => {
  it('refuses an anonymous connection, a stale session, a non-member and a name that is not a comic’s', async () => {
    expect(await refusedWith(connect(collab.url, comicId, {}))).toBe('unauthorized');
    expect(await refusedWith(connect(collab.url, comicId, { cookie: 'inkwell_session=nope.nope' }))).toBe('unauthorized');
    expect(await refusedWith(connect(collab.url, comicId, { cookie: stranger.cookie }))).toBe('forbidden');
    expect(await refusedWith(connect(collab.url, comicId, { cookie: owner.cookie, documentName: 'notes:1' }))).toBe('forbidden');
    const shouting = `comic:${comicId.toUpperCase()}`;
    expect(await refusedWith(connect(collab.url, comicId, { cookie: owner.cookie, documentName: shouting }))).toBe('forbidden');
    // Refused connections never load the document.
    expect(collab.server.hocuspocus.documents.has(documentNameOf(comicId))).toBe(false);
  });

  it('accepts a collab token from the API instead of the cookie, for that comic only', async () => {
    const token = await collabToken(api, owner, comicId);
    const client = connect(collab.url, comicId, { token });
    await synced(client);
    expect(client.provider.authorizedScope).toBe('read-write');
    client.close();

    const otherComic = await createComic(api, owner);
    expect(await refusedWith(connect(collab.url, otherComic, { token }))).toBe('unauthorized');
  });
});

describe('viewers', () => {
  it('see edits live, but their own edits reach neither the others nor the database', async () => {
    const editing = connect(collab.url, comicId, { cookie: owner.cookie });
    const watching = connect(collab.url, comicId, { cookie: viewer.cookie });
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
    const later = connect(collab.url, comicId, { cookie: owner.cookie });
    await synced(later);
    expect(later.records.has('shape:vandalism')).toBe(false);
    for (const client of [editing, watching, later]) client.close();
  });
});
