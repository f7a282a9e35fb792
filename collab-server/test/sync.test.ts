import { beforeAll, describe, expect, it } from 'vitest';
import { type User, acknowledged, addMember, connect, note, storedRecords, synced, useStack, waitFor } from './helper.ts';

const stack = useStack();
let owner: User;
let editor: User;

beforeAll(async () => {
  [owner, editor] = [await stack.signUp(), await stack.signUp()];
});

describe('live editing', () => {
  it('two clients editing at the same time converge, and the result is stored', async () => {
    const comicId = await stack.newComic(owner);
    await addMember(stack.api, owner, comicId, editor, 'editor');
    const a = connect(stack.collab.url, comicId, { cookie: owner.cookie });
    const b = connect(stack.collab.url, comicId, { cookie: editor.cookie });
    await Promise.all([synced(a), synced(b)]);

    // Both write before hearing from the other, including to the same record.
    for (let i = 0; i < 20; i++) {
      a.records.set(`shape:a${i}`, note(`a${i}`, 'from a'));
      b.records.set(`shape:b${i}`, note(`b${i}`, 'from b'));
    }
    a.records.set('shape:both', note('both', 'a wrote this'));
    b.records.set('shape:both', note('both', 'b wrote this'));

    await waitFor(() => a.records.size === 41 && b.records.size === 41, 'both clients to see all 41 records');
    expect(a.records.toJSON()).toEqual(b.records.toJSON());
    await Promise.all([acknowledged(a), acknowledged(b)]);
    const stored = await storedRecords(comicId);
    expect(Object.fromEntries(stored)).toEqual(a.records.toJSON());

    // A client arriving later gets the same document.
    const c = connect(stack.collab.url, comicId, { cookie: editor.cookie });
    await synced(c);
    expect(c.records.toJSON()).toEqual(a.records.toJSON());
    for (const client of [a, b, c]) client.close();
  });
});
