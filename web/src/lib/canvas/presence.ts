// Presence through Hocuspocus awareness: this browser publishes its tldraw presence (cursor, selection,
// viewport, page); everyone else's presence becomes `instance_presence` records in the local store, which
// tldraw draws as collaborators' cursors and follows with `startFollowingUser`. Who someone is (name, role,
// colour) is read only from the `user` the collab-server stamps on each state from that connection's
// authentication, never from what their browser claims. Presence records are session data: they never
// reach the Yjs document.
import { type AwarenessUser, isAwarenessUser } from '@inkwell/collab-server/model';
import {
  type Signal,
  type TLInstancePresence,
  type TLStore,
  type TLUser,
  InstancePresenceRecordType,
  createPresenceStateDerivation,
  createUserId,
  react,
} from 'tldraw';
import type { Collaborator } from './types.ts';

/** The awareness of a Hocuspocus provider, as much of it as this module uses. */
export interface AwarenessLike {
  clientID: number;
  getStates(): Map<number, Record<string, unknown>>;
  setLocalStateField(field: string, value: unknown): void;
  on(event: 'change', listener: (change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => void): void;
  off(event: 'change', listener: (change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => void): void;
}

/** Cursor moves are sent at most this often. */
const PRESENCE_INTERVAL_MS = 40;

const presenceIdOf = (clientId: number) => InstancePresenceRecordType.createId(String(clientId));

export interface PresenceOptions {
  store: TLStore;
  awareness: AwarenessLike;
  user: Signal<TLUser>;
  self: AwarenessUser;
  /** The user id (ours, not tldraw's) whose view this browser follows, or null. */
  followed: () => string | null;
  onPeople: (people: Collaborator[]) => void;
}

export interface PresenceBinding {
  /** Tells the page again who is here (after following someone, say). */
  refresh(): void;
  dispose(): void;
}

export function bindPresence({ store, awareness, user, self, followed, onPeople }: PresenceOptions): PresenceBinding {
  const ownId = presenceIdOf(awareness.clientID);
  const presence = createPresenceStateDerivation(user, { instanceId: ownId })(store);
  awareness.setLocalStateField('user', self);

  // ---- ours, out --------------------------------------------------------------------------------------
  let pending: TLInstancePresence | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastSent = 0;
  const send = () => {
    timer = undefined;
    lastSent = Date.now();
    awareness.setLocalStateField('presence', pending);
  };
  const stopPresence = react('publish presence', () => {
    pending = presence.get();
    if (timer) return;
    const wait = PRESENCE_INTERVAL_MS - (Date.now() - lastSent);
    if (wait <= 0) send();
    else timer = setTimeout(send, wait);
  });

  // ---- theirs, in ------------------------------------------------------------------------------------
  const known = new Set<TLInstancePresence['id']>();
  let lastPeople = '';

  /**
   * Their presence as a valid record of ours, or null. Its id comes from their client id, so no client can
   * move another's cursor; the name and colour on the cursor are the server-stamped user's.
   */
  function recordOf(clientId: number, state: Record<string, unknown> | undefined): TLInstancePresence | null {
    const record = state?.presence as TLInstancePresence | null | undefined;
    const who = state?.user;
    if (!record || typeof record !== 'object' || !isAwarenessUser(who)) return null;
    try {
      return InstancePresenceRecordType.validate({
        ...record,
        id: presenceIdOf(clientId),
        typeName: 'instance_presence',
        userId: createUserId(who.id),
        userName: who.name,
        color: who.color,
      });
    } catch {
      return null; // a client on another version, or one that sends nonsense: no cursor for it
    }
  }

  function applyClients(clientIds: Iterable<number>) {
    const states = awareness.getStates();
    const puts: TLInstancePresence[] = [];
    const removes: TLInstancePresence['id'][] = [];
    for (const clientId of clientIds) {
      if (clientId === awareness.clientID) continue;
      const id = presenceIdOf(clientId);
      const record = recordOf(clientId, states.get(clientId));
      if (record) {
        puts.push(record);
        known.add(id);
      } else if (known.delete(id) && store.has(id)) {
        removes.push(id);
      }
    }
    if (puts.length === 0 && removes.length === 0) return;
    store.mergeRemoteChanges(() => {
      if (removes.length > 0) store.remove(removes);
      if (puts.length > 0) store.put(puts);
    });
  }

  /** Tells the page who is here, when that changed: one entry per user, ourselves first. */
  function announce() {
    const people = new Map<string, Collaborator>();
    const following = followed();
    for (const [clientId, state] of awareness.getStates()) {
      const who = state.user;
      if (!isAwarenessUser(who)) continue;
      const isSelf = clientId === awareness.clientID || people.get(who.id)?.isSelf === true;
      people.set(who.id, { userId: who.id, name: who.name, color: who.color, role: who.role, isSelf, followed: following === who.id });
    }
    const list = [...people.values()].sort((a, b) => Number(b.isSelf) - Number(a.isSelf) || a.name.localeCompare(b.name));
    const signature = JSON.stringify(list);
    if (signature === lastPeople) return;
    lastPeople = signature;
    onPeople(list);
  }

  const onChange = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
    const changed = [...added, ...updated, ...removed];
    if (changed.every((id) => id === awareness.clientID)) return;
    applyClients(changed);
    announce();
  };
  awareness.on('change', onChange);
  applyClients(awareness.getStates().keys());
  announce();

  return {
    refresh: announce,
    dispose() {
      stopPresence();
      if (timer) clearTimeout(timer);
      awareness.off('change', onChange);
      awareness.setLocalStateField('presence', null);
      store.mergeRemoteChanges(() => store.remove([...known].filter((id) => store.has(id))));
      known.clear();
    },
  };
}
