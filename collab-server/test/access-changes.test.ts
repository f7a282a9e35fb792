import { beforeAll, describe, expect, it } from 'vitest';
import { documentNameOf } from '../src/documents.ts';
import {
  type User,
  acknowledged,
  addMember,
  changeRole,
  connect,
  deleteComic,
  note,
  removeMember,
  sleep,
  startCollab,
  startSlowApi,
  storedRecords,
  synced,
  useStack,
  waitFor,
} from './helper.ts';

const stack = useStack();
let owner: User;
let member: User;

beforeAll(async () => {
  [owner, member] = [await stack.signUp(), await stack.signUp()];
});

async function sharedComic(role: 'editor' | 'viewer') {
  const comicId = await stack.newComic(owner);
  await addMember(stack.api, owner, comicId, member, role);
  const ownerClient = connect(stack.collab.url, comicId, { cookie: owner.cookie });
  const memberClient = connect(stack.collab.url, comicId, { cookie: member.cookie });
  await Promise.all([synced(ownerClient), synced(memberClient)]);
  return { comicId, ownerClient, memberClient };
}

const connectionsOf = (comicId: string, userId: string) =>
  (stack.collab.server.hocuspocus.documents.get(documentNameOf(comicId))?.getConnections() ?? []).filter((c) => c.context.user.id === userId);

describe('when the API changes someone’s access', () => {
  it('a removed member is disconnected at once, and their edits go nowhere', async () => {
    const { comicId, ownerClient, memberClient } = await sharedComic('editor');

    await removeMember(stack.api, owner, comicId, member);
    await waitFor(() => memberClient.closedBecause === 'access-revoked', 'the member to be disconnected', 2000);
    expect(connectionsOf(comicId, member.id)).toHaveLength(0);
    expect(connectionsOf(comicId, owner.id)).toHaveLength(1);

    memberClient.records.set('shape:after-removal', note('after-removal', 'too late'));
    ownerClient.records.set('shape:owner', note('owner', 'still here'));
    await acknowledged(ownerClient);
    await sleep(200);
    expect(ownerClient.records.has('shape:after-removal')).toBe(false);
    expect((await storedRecords(comicId)).has('shape:after-removal')).toBe(false);

    const again = connect(stack.collab.url, comicId, { cookie: member.cookie });
    await waitFor(() => again.refused !== undefined, 'the reconnection to be refused');
    expect(again.refused).toBe('forbidden');
    for (const client of [ownerClient, memberClient, again]) client.close();
  });

  it('a demoted editor becomes read-only at once, and writable again (and in sync) when promoted', async () => {
    const { comicId, ownerClient, memberClient } = await sharedComic('editor');
    memberClient.records.set('shape:as-editor', note('as-editor', 'allowed'));
    await waitFor(() => ownerClient.records.has('shape:as-editor'), 'the editor’s edit to arrive');

    await changeRole(stack.api, owner, comicId, member, 'viewer');
    await waitFor(() => memberClient.stateless.includes(JSON.stringify({ type: 'access', role: 'viewer' })), 'the demotion to be announced', 2000);
    expect(connectionsOf(comicId, member.id).map((c) => [c.readOnly, c.context.role])).toEqual([[true, 'viewer']]);

    memberClient.records.set('shape:as-viewer', note('as-viewer', 'not allowed'));
    ownerClient.records.set('shape:owner', note('owner', 'marker'));
    await waitFor(() => memberClient.records.has('shape:owner'), 'the viewer to keep seeing edits');
    await acknowledged(ownerClient);
    await sleep(200);
    expect(ownerClient.records.has('shape:as-viewer')).toBe(false);
    expect((await storedRecords(comicId)).has('shape:as-viewer')).toBe(false);

    await changeRole(stack.api, owner, comicId, member, 'editor');
    await waitFor(() => memberClient.stateless.includes(JSON.stringify({ type: 'access', role: 'editor' })), 'the promotion to be announced', 2000);
    memberClient.records.set('shape:editor-again', note('editor-again', 'allowed again'));
    await waitFor(() => ownerClient.records.has('shape:editor-again'), 'the editor’s new edit to arrive');
    // Its new edits build on the one refused while it was read-only, which comes along now that it may write.
    await acknowledged(memberClient);
    expect(ownerClient.records.toJSON()).toEqual(memberClient.records.toJSON());
    for (const client of [ownerClient, memberClient]) client.close();
  });

  it('a change published while a connection is being set up still reaches it', async () => {
    const comicId = await stack.newComic(owner);
    await addMember(stack.api, owner, comicId, member, 'editor');
    // The API's answer ("editor") is held back until the member has been removed.
    const slowApi = await startSlowApi(stack.api);
    const slow = await startCollab(stack.config({ apiUrl: slowApi.url }));

    const client = connect(slow.url, comicId, { cookie: member.cookie });
    await slowApi.answered;
    await removeMember(stack.api, owner, comicId, member);
    await sleep(100);
    slowApi.release();
    await waitFor(() => client.closedBecause === 'access-revoked', 'the late connection to be closed');
    client.close();
    await slow.server.close();
    slowApi.close();
  });

  it('deleting the comic disconnects everyone', async () => {
    const { comicId, ownerClient, memberClient } = await sharedComic('viewer');
    await deleteComic(stack.api, owner, comicId);
    await waitFor(() => ownerClient.closedBecause === 'comic-deleted' && memberClient.closedBecause === 'comic-deleted', 'everyone to be disconnected', 2000);
    await waitFor(() => !stack.collab.server.hocuspocus.documents.has(documentNameOf(comicId)), 'the document to be unloaded');
    for (const client of [ownerClient, memberClient]) client.close();
  });
});
