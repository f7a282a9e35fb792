import { describe, expect, it } from 'vitest';
import { InstancePresenceRecordType, UserRecordType, atom, createTLStore, createUserId } from 'tldraw';
import { createComicSchema } from '@inkwell/collab-server/model';
import { type AwarenessLike, bindPresence } from './presence.ts';
import type { Collaborator } from './types.ts';

type Listener = Parameters<AwarenessLike['on']>[1];

/** Awareness states as the collab-server hands them on, and the change events a provider emits. */
class FakeAwareness implements AwarenessLike {
  clientID = 1;
  readonly states = new Map<number, Record<string, unknown>>([[1, {}]]);
  private readonly listeners = new Set<Listener>();
  getStates() {
    return this.states;
  }
  setLocalStateField(field: string, value: unknown) {
    this.states.set(1, { ...this.states.get(1), [field]: value });
  }
  on(_event: 'change', listener: Listener) {
    this.listeners.add(listener);
  }
  off(_event: 'change', listener: Listener) {
    this.listeners.delete(listener);
  }
  receive(clientId: number, state: Record<string, unknown>) {
    this.states.set(clientId, state);
    for (const listener of this.listeners) listener({ added: [clientId], updated: [], removed: [] }, 'remote');
  }
}

/** What someone's browser sends as tldraw presence: here claiming to be someone else, in a hostile colour. */
const claimed = InstancePresenceRecordType.create({
  id: InstancePresenceRecordType.createId('x'),
  currentPageId: 'page:page' as never,
  userId: createUserId('owner-id'),
  userName: 'the owner',
  color: 'red;background:url(javascript:alert(1))',
});

function setUp() {
  const store = createTLStore({ schema: createComicSchema() });
  const awareness = new FakeAwareness();
  let people: Collaborator[] = [];
  bindPresence({
    store,
    awareness,
    user: atom('user', UserRecordType.create({ id: createUserId('me'), name: 'me', color: '#000000' })),
    self: { id: 'me', name: 'me', color: '#000000', role: 'editor' },
    followed: () => null,
    onPeople: (list) => (people = list),
  });
  return { store, awareness, people: () => people };
}

describe('presence', () => {
  it('names and colours a cursor after the server-stamped user, not what the browser claims', () => {
    const { store, awareness, people } = setUp();
    awareness.receive(7, { user: { id: 'viewer-id', name: 'viewer', color: '#1c7ed6', role: 'viewer' }, presence: claimed });
    const cursor = store.get(InstancePresenceRecordType.createId('7'))!;
    expect(cursor).toMatchObject({ userId: createUserId('viewer-id'), userName: 'viewer', color: '#1c7ed6' });
    expect(people().find((person) => !person.isSelf)).toMatchObject({ userId: 'viewer-id', name: 'viewer', role: 'viewer' });
  });

  it('shows nobody for a state without a stamped user (or with a colour that is not #rrggbb)', () => {
    const { store, awareness, people } = setUp();
    awareness.receive(8, { user: { id: 'x', name: 'x', color: 'red;background:red', role: 'owner' }, presence: claimed });
    awareness.receive(9, { presence: claimed });
    expect(store.get(InstancePresenceRecordType.createId('8'))).toBeUndefined();
    expect(store.get(InstancePresenceRecordType.createId('9'))).toBeUndefined();
    expect(people().map((person) => person.userId)).toEqual(['me']);
  });
});
