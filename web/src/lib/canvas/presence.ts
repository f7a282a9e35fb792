// Presence through Hocuspocus awareness: this browser publishes who it is and its tldraw presence (cursor,
// selection, viewport, page); everyone else's presence becomes `instance_presence` records in the local
// store, which tldraw draws as collaborators' cursors and follows with `startFollowingUser`. Presence
// records are session data: they never reach the Yjs document.
import type { ComicRole } from '@inkwell/api/contract';
import {
  type Signal,
  type TLInstancePresence,
  type TLStore,
  type TLUser,
  InstancePresenceRecordType,
  createPresenceStateDerivation,
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

/** What a client says about itself in its awareness state, beside its tldraw presence. */
export interface AwarenessUser {
  id: string;
  name: string;
  color: string;
  role: ComicRole | null;
}

const PALETTE = ['#e8590c', '#d6336c', '#ae3ec9', '#7048e8', '#1c7ed6', '#0c8599', '#2b8a3e', '#5c940d', '#c2255c', '#364fc7'];

/** A colour per user that every browser agrees on, without asking anyone. */
export function colorFor(userId: string): string {
  let hash = 0;
  for (const char of userId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}

/** Cursor moves are sent at most this often. */
const PRESENCE_INTERVAL_MS = 40;

const presenceIdOf = (clientId: number) => InstancePresenceRecordType.createId(String(clientId));

function isUser(value: unknown): value is AwarenessUser {
  const v = value as Partial<AwarenessUser> | null;
  return typeof v?.id === 'string' && typeof v.name === 'string' && typeof v.color === 'string';
}

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

  /** Their presence as a valid record of ours, or null; its id comes from their client id, so no client can move another's cursor. */
  function recordOf(clientId: number, state: Record<string, unknown> | undefined): TLInstancePresence | null {
    const record = state?.presence as TLInstancePresence | null | undefined;
    if (!record || typeof record !== 'object' || !isUser(state?.user)) return null;
    try {
      return InstancePresenceRecordType.validate({ ...record, id: presenceIdOf(clientId), typeName: 'instance_presence' });
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
      if (!isUser(who)) continue;
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
