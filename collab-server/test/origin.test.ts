// Cross-site websocket hijacking: a page on another site opens the collab websocket, and the browser sends
// the visitor's cookie along. The handshake's Origin gives it away.
import { beforeAll, describe, expect, it } from 'vitest';
import { documentNameOf } from '../src/documents.ts';
import { type User, connect, handshake, sleep, synced, useStack } from './helper.ts';

const stack = useStack();
let owner: User;
let comicId: string;

beforeAll(async () => {
  owner = await stack.signUp();
  comicId = await stack.newComic(owner);
});

describe('the Origin of a websocket handshake', () => {
  it('refuses another site’s page, even with a valid cookie, before anything is synced', async () => {
    expect(await handshake(stack.collab.url, { cookie: owner.cookie, origin: 'http://evil.example' })).toBe(403);
    // A look-alike of ours is another site too.
    expect(await handshake(stack.collab.url, { cookie: owner.cookie, origin: `${stack.config().publicOrigin}.evil.example` })).toBe(403);

    const client = connect(stack.collab.url, comicId, { cookie: owner.cookie, origin: 'http://evil.example' });
    await sleep(500);
    expect(client.provider.isSynced).toBe(false);
    expect(stack.collab.server.hocuspocus.documents.has(documentNameOf(comicId))).toBe(false);
    client.close();
  });

  it('accepts the site’s own pages, and clients that send no Origin at all', async () => {
    expect(await handshake(stack.collab.url, { cookie: owner.cookie, origin: stack.config().publicOrigin })).toBe(101);
    const fromSite = connect(stack.collab.url, comicId, { cookie: owner.cookie, origin: stack.config().publicOrigin });
    const noOrigin = connect(stack.collab.url, comicId, { cookie: owner.cookie });
    await Promise.all([synced(fromSite), synced(noOrigin)]);
    fromSite.close();
    noOrigin.close();
  });
});
