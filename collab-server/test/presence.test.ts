import { type TLInstancePresence, createUserId } from '@tldraw/tlschema';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type AwarenessUser, colorFor } from '../src/model/index.ts';
import { type Client, type User, addMember, connect, presence, sleep, synced, useStack, waitFor } from './helper.ts';

const stack = useStack();
let owner: User;
let viewer: User;
let editor: User;

beforeAll(async () => {
  [owner, viewer, editor] = [await stack.signUp(), await stack.signUp(), await stack.signUp()];
});

/** What `watcher` sees of `clientId`'s awareness state. */
const seen = (watcher: Client, clientId: number) =>
  watcher.provider.awareness!.getStates().get(clientId) as { user: AwarenessUser; presence: TLInstancePresence | null } | undefined;


/** lib0's encoding, as much of it as a forged awareness message needs. */
class Writer {
  readonly bytes: number[] = [];
  uint(n: number): this {
    for (; n >= 0x80; n = Math.floor(n / 0x80)) this.bytes.push((n % 0x80) | 0x80);
    this.bytes.push(n);
    return this;
  }
  array(b: Uint8Array): this {
    this.uint(b.length).bytes.push(...b);
    return this;
  }
  string(s: string): this {
    return this.array(new TextEncoder().encode(s));
  }
}

/** An awareness message as a forger writes it by hand: a state for any client id, at any clock. */
function awarenessFrame(documentName: string, clientId: number, clock: number, state: object): Uint8Array {
  const update = new Writer().uint(1).uint(clientId).uint(clock).string(JSON.stringify(state));
  const awarenessMessage = 1;
  return Uint8Array.from(new Writer().string(documentName).uint(awarenessMessage).array(Uint8Array.from(update.bytes)).bytes);
}

/** The first message of a document connection: its address, Hocuspocus' Auth type, a token (none: the cookie says who). */
function authFrame(documentName: string): Uint8Array {
  const [authMessage, token] = [2, 0];
  return Uint8Array.from(new Writer().string(documentName).uint(authMessage).uint(token).string('').bytes);
}

describe('presence', () => {
  it('shows each person as the server authenticated them, whatever their client claims', async () => {
    const comicId = await stack.newComic(owner);
    await addMember(stack.api, owner, comicId, viewer, 'viewer');
    const watcher = connect(stack.collab.url, comicId, { cookie: owner.cookie });
    const forger = connect(stack.collab.url, comicId, { cookie: viewer.cookie });
    await Promise.all([synced(watcher), synced(forger)]);

    const css = 'red;background:url(javascript:alert(1))';
    forger.provider.setAwarenessField('user', { id: owner.id, name: owner.username, role: 'owner', color: css });
    forger.provider.setAwarenessField('presence', presence(owner.id, owner.username, css));
    const id = forger.doc.clientID;
    await waitFor(() => seen(watcher, id)?.presence != null, 'the forger’s presence to arrive');

    const state = seen(watcher, id)!;
    expect(state.user).toEqual({ id: viewer.id, name: viewer.username, role: 'viewer', color: colorFor(viewer.id) });
    expect(state.presence).toMatchObject({ userId: createUserId(viewer.id), userName: viewer.username, color: colorFor(viewer.id), cursor: { x: 10, y: 20 } });
    expect(Object.keys(state).sort()).toEqual(['presence', 'user']);

    // A colour that is one is kept; a presence that is not valid is dropped, the person still listed.
    forger.provider.setAwarenessField('user', { color: '#123abc' });
    forger.provider.setAwarenessField('presence', { cursor: 'everywhere' });
    await waitFor(() => seen(watcher, id)?.user.color === '#123abc', 'the new colour');
    expect(seen(watcher, id)!.presence).toBeNull();
    for (const client of [watcher, forger]) client.close();
  });

  it('drops updates about a client id another connection speaks for', async () => {
    const comicId = await stack.newComic(owner);
    await addMember(stack.api, owner, comicId, viewer, 'viewer');
    await addMember(stack.api, owner, comicId, editor, 'editor');
    const victim = connect(stack.collab.url, comicId, { cookie: owner.cookie });
    const watcher = connect(stack.collab.url, comicId, { cookie: editor.cookie });
    const forger = connect(stack.collab.url, comicId, { cookie: viewer.cookie });
    await Promise.all([synced(victim), synced(watcher), synced(forger)]);
    victim.provider.setAwarenessField('presence', presence(owner.id, owner.username, '#000000'));
    forger.provider.setAwarenessField('presence', null);
    const victimId = victim.doc.clientID;
    await waitFor(() => seen(watcher, victimId)?.presence != null && seen(watcher, forger.doc.clientID) !== undefined, 'both presences');

    const forged = { user: { id: viewer.id, name: 'owner, honest', color: '#ff0000' }, presence: presence(viewer.id, 'owner, honest', '#ff0000') };
    forger.socket.send(awarenessFrame(`comic:${comicId}`, victimId, 1_000_000, forged));
    // Through the same connection, afterwards: once this arrives, the forgery has been handled too.
    forger.provider.setAwarenessField('presence', presence(viewer.id, viewer.username, '#00ff00'));
    await waitFor(() => seen(watcher, forger.doc.clientID)?.presence != null, 'the forger’s own presence');
    await sleep(100);

    expect(seen(watcher, victimId)!.user).toMatchObject({ id: owner.id, name: owner.username, role: 'owner' });
    expect(seen(watcher, victimId)!.presence?.userName).toBe(owner.username);
    for (const client of [victim, watcher, forger]) client.close();
  });

  it('vouches alike for what a connection says before it is set up', async () => {
    const comicId = await stack.newComic(owner);
    await addMember(stack.api, owner, comicId, viewer, 'viewer');
    const victim = connect(stack.collab.url, comicId, { cookie: owner.cookie });
    const watcher = connect(stack.collab.url, comicId, { cookie: owner.cookie });
    await Promise.all([synced(victim), synced(watcher)]);
    victim.provider.setAwarenessField('presence', presence(owner.id, owner.username, '#000000'));
    const victimId = victim.doc.clientID;
    await waitFor(() => seen(watcher, victimId)?.presence != null, 'the victim’s presence');

    // A hand-written client sends its awareness with its first message, while its access is still being
    // checked: the server holds those messages until the connection is set up, then reads them.
    const documentName = `comic:${comicId}`;
    const forger = new WebSocket(stack.collab.url, { headers: { cookie: viewer.cookie } });
    await new Promise((resolve) => forger.once('open', resolve));
    const forgerId = 987_654;
    const forged = { user: { id: owner.id, name: owner.username, color: '#ff0000' }, presence: presence(owner.id, owner.username, '#ff0000') };
    forger.send(authFrame(documentName));
    forger.send(awarenessFrame(documentName, victimId, 1_000_000, forged));
    forger.send(awarenessFrame(documentName, forgerId, 1, forged));
    await waitFor(() => seen(watcher, forgerId) !== undefined, 'the forger’s own presence');

    expect(seen(watcher, forgerId)!.user).toEqual({ id: viewer.id, name: viewer.username, role: 'viewer', color: '#ff0000' });
    expect(seen(watcher, forgerId)!.presence).toMatchObject({ userId: createUserId(viewer.id), userName: viewer.username });
    expect(seen(watcher, victimId)!.user).toEqual({ id: owner.id, name: owner.username, role: 'owner', color: colorFor(owner.id) });
    expect(seen(watcher, victimId)!.presence).toMatchObject({ userName: owner.username, color: colorFor(owner.id) });
    forger.close();
    for (const client of [victim, watcher]) client.close();
  });
});
