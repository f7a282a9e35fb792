// Comments reach everyone on the comic live: the API announces each change on Redis, and the collab-server
// relays it to the comic's connections as a stateless message (no text: the canvas loads the comments).
import { beforeAll, describe, expect, it } from 'vitest';
import { type User, acknowledged, addMember, call, connect, note, synced, useStack, waitFor } from './helper.ts';

const stack = useStack();
let owner: User;
let viewer: User;

beforeAll(async () => {
  [owner, viewer] = [await stack.signUp(), await stack.signUp()];
});

const commentsSaid = (stateless: string[]) =>
  stateless.map((payload) => JSON.parse(payload) as Record<string, unknown>).filter((message) => message.type === 'comments');

describe('the comment relay', () => {
  it('tells every connection of the comic, viewers included, of a new comment, a reply, a resolve and a delete, and no other comic', async () => {
    const comicId = await stack.newComic(owner);
    const otherComic = await stack.newComic(owner);
    await addMember(stack.api, owner, comicId, viewer, 'viewer');
    const ownerClient = connect(stack.collab.url, comicId, { cookie: owner.cookie });
    const viewerClient = connect(stack.collab.url, comicId, { cookie: viewer.cookie });
    const elsewhere = connect(stack.collab.url, otherComic, { cookie: owner.cookie });
    await Promise.all([synced(ownerClient), synced(viewerClient), synced(elsewhere)]);

    const posted = await call(stack.api, 'POST', `/api/v1/comics/${comicId}/comments`, viewer.cookie, { body: 'Secret plans', anchor: { shapeId: 'shape:panel' } });
    const threadId = posted.json().data.id as string;
    const created = { type: 'comments', event: 'created', threadId, commentId: threadId };
    await waitFor(() => commentsSaid(ownerClient.stateless).length === 1 && commentsSaid(viewerClient.stateless).length === 1, 'both to hear of the comment');
    expect(commentsSaid(ownerClient.stateless)).toEqual([created]);
    expect(commentsSaid(viewerClient.stateless)).toEqual([created]);
    // The text stays with the API, which decides who reads it.
    expect(ownerClient.stateless.join()).not.toContain('Secret plans');

    const replied = await call(stack.api, 'POST', `/api/v1/comics/${comicId}/comments`, owner.cookie, { body: 'Noted', parentId: threadId });
    const replyId = (replied.json().data.replies as { id: string }[])[0]!.id;
    await call(stack.api, 'PATCH', `/api/v1/comics/${comicId}/comments/${threadId}`, owner.cookie, { resolved: true });
    await call(stack.api, 'DELETE', `/api/v1/comics/${comicId}/comments/${replyId}`, owner.cookie);
    await waitFor(() => commentsSaid(viewerClient.stateless).length === 4, 'the viewer to hear of every change');
    expect(commentsSaid(viewerClient.stateless).map((m) => [m.event, m.commentId])).toEqual([
      ['created', threadId],
      ['created', replyId],
      ['updated', threadId],
      ['deleted', replyId],
    ]);
    // Heard in order on one channel: the other comic's connection would have heard the first by now.
    expect(commentsSaid(elsewhere.stateless)).toEqual([]);
    for (const client of [ownerClient, viewerClient, elsewhere]) client.close();
  });

  it('a comment on a shape that was deleted from the canvas stays readable', async () => {
    const comicId = await stack.newComic(owner);
    await addMember(stack.api, owner, comicId, viewer, 'viewer');
    const ownerClient = connect(stack.collab.url, comicId, { cookie: owner.cookie });
    await synced(ownerClient);
    ownerClient.records.set('shape:bubble', note('bubble', 'Hello'));
    await acknowledged(ownerClient);

    await call(stack.api, 'POST', `/api/v1/comics/${comicId}/comments`, viewer.cookie, { body: 'Typo in this bubble', anchor: { shapeId: 'shape:bubble' } });
    ownerClient.records.delete('shape:bubble');
    await acknowledged(ownerClient);

    const listed = await call(stack.api, 'GET', `/api/v1/comics/${comicId}/comments`, viewer.cookie);
    expect(listed.json().data).toMatchObject([{ body: 'Typo in this bubble', anchor: { shapeId: 'shape:bubble' }, author: { username: viewer.username } }]);
    ownerClient.close();
  });
});
