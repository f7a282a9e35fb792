// Two collab-servers behind Redis, as when the service is scaled out: clients on either one edit the
// same comic live.
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { redisNames } from '@inkwell/workflows';
import { type Collab, type User, acknowledged, addMember, connect, note, presence, removeMember, sleep, storedRecords, synced, useStack, waitFor } from './helper.ts';

const stack = useStack({ collab: false });
let one: Collab;
let two: Collab;
let owner: User;
let editor: User;

beforeAll(async () => {
  [one, two] = await stack.startPair();
  [owner, editor] = [await stack.signUp(), await stack.signUp()];
});

describe('two instances behind Redis', () => {
  it('stay in sync: edits, presence and the stored document', async () => {
    const comicId = await stack.newComic(owner);
    await addMember(stack.api, owner, comicId, editor, 'editor');
    const a = connect(one.url, comicId, { cookie: owner.cookie });
    const b = connect(two.url, comicId, { cookie: editor.cookie });
    await Promise.all([synced(a), synced(b)]);

    for (let i = 0; i < 30; i++) {
      a.records.set(`shape:a${i}`, note(`a${i}`, 'on instance one'));
      b.records.set(`shape:b${i}`, note(`b${i}`, 'on instance two'));
    }
    await waitFor(() => a.records.size === 60 && b.records.size === 60, 'each client to see the other instance’s edits', 1000);
    expect(a.records.toJSON()).toEqual(b.records.toJSON());

    a.provider.setAwarenessField('user', { name: owner.username });
    await waitFor(
      () => [...b.provider.awareness!.getStates().values()].some((state) => state.user?.name === owner.username),
      'the owner’s presence to reach the other instance',
    );

    await Promise.all([acknowledged(a), acknowledged(b)]);
    expect([...(await storedRecords(comicId)).keys()].sort()).toEqual([...a.records.keys()].sort());

    // A client arriving on either instance later gets everything.
    const c = connect(two.url, comicId, { cookie: owner.cookie });
    await synced(c);
    expect(c.records.toJSON()).toEqual(a.records.toJSON());
    for (const client of [a, b, c]) client.close();
  });

  it('say nothing through Redis about a comic no other instance has open, neither its edits nor its cursors', async () => {
    const comicId = await stack.newComic(owner);
    await addMember(stack.api, owner, comicId, editor, 'editor');
    const listener = new Redis(stack.config().redisUrl);
    const published: string[] = [];
    listener.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer) => published.push(channel.toString()));
    await listener.psubscribe(`${redisNames(stack.prefix).collab}*`);
    const a = connect(one.url, comicId, { cookie: owner.cookie });
    const b = connect(one.url, comicId, { cookie: editor.cookie });
    await Promise.all([synced(a), synced(b)]);
    // Loading the document announced it, in case another instance had it open.
    await waitFor(() => published.length > 0, 'the announcement of the document');
    published.length = 0;

    a.records.set('shape:here', note('here', 'only instance one has this comic'));
    a.provider.setAwarenessField('user', { name: owner.username });
    await waitFor(
      () => b.records.has('shape:here') && [...b.provider.awareness!.getStates().values()].some((state) => state.user?.name === owner.username),
      'the edit and the presence on the same instance',
    );
    await sleep(100);
    expect(published).toEqual([]);

    // Once the other instance opens it, both travel.
    const c = connect(two.url, comicId, { cookie: editor.cookie });
    await synced(c);
    a.provider.setAwarenessField('presence', presence(owner.id, owner.username, '#000000', { x: 42, y: 0 }));
    await waitFor(() => c.provider.awareness!.getStates().get(a.doc.clientID)?.presence?.cursor?.x === 42, 'the cursor on the other instance');
    for (const client of [a, b, c]) client.close();
    await listener.quit();
  });

  it('apply an access change on every instance', async () => {
    const comicId = await stack.newComic(owner);
    await addMember(stack.api, owner, comicId, editor, 'editor');
    const onOne = connect(one.url, comicId, { cookie: editor.cookie });
    const onTwo = connect(two.url, comicId, { cookie: editor.cookie });
    await Promise.all([synced(onOne), synced(onTwo)]);
    await removeMember(stack.api, owner, comicId, editor);
    await waitFor(() => onOne.closedBecause === 'access-revoked' && onTwo.closedBecause === 'access-revoked', 'both connections to close', 2000);
    onOne.close();
    onTwo.close();
  });
});
