// Awareness (who is here, their cursor and selection) as the server vouches for it. A connection speaks
// for one awareness client id, the first it sent that no other connection of the document holds; its
// updates about any other id are dropped, so nobody can move or overwrite someone else's presence. What
// it says about itself is stamped: `user` (id, name, role) comes from its authentication, the colour is
// kept only when it is a plain #rrggbb, and the tldraw presence is validated and given the same identity.
// Other clients receive only the stamped state.
//
// Cursors move many times a second, so an established connection's awareness messages are read here, not by
// Hocuspocus, which builds a scratch Y.Doc and Awareness for each one to decode into (32 reads of random
// bytes for their guid and client id alone). Messages that arrive before the connection is set up
// (Hocuspocus queues them) and those of other instances still take Hocuspocus' way, through
// `beforeHandleAwareness`; both ways vouch alike.
import { type Connection, type Extension, IncomingMessage, MessageType } from '@hocuspocus/server';
import { InstancePresenceRecordType, type TLInstancePresence, createUserId } from '@tldraw/tlschema';
import * as encoding from 'lib0/encoding';
import { frameOf } from '../message-frame.ts';
import { type AwarenessUser, colorFor, isPresenceColor } from '../model/index.ts';
import type { ConnectionContext } from './auth.ts';

type States = Map<number, Record<string, unknown>>;

/** Each client's state and clock, as an awareness update carries them. */
interface AwarenessUpdate {
  states: States;
  clocks: Map<number, number>;
}

export function createPresence(): Extension<ConnectionContext> {
  const owners = new WeakMap<Connection, number>();

  function ownClientId(connection: Connection, sent: Iterable<number>): number | undefined {
    const owned = owners.get(connection);
    if (owned !== undefined) return owned;
    const taken = new Set(connection.document.getConnections().map((other) => owners.get(other)));
    for (const clientId of sent) {
      if (taken.has(clientId)) continue;
      owners.set(connection, clientId);
      return clientId;
    }
    return undefined;
  }

  /** Leaves in `states` only what `connection` may say: the state of its own client id, stamped. */
  function vouch(connection: Connection, states: States): void {
    // An empty state says nothing, nor does one that is not an object. Hocuspocus 4.7 adds an empty one of its
    // own to every update (the scratch Awareness it decodes into has a local state), which must not be taken
    // for the sender's.
    for (const [clientId, state] of states) if (!isState(state)) states.delete(clientId);
    const own = ownClientId(connection, states.keys());
    for (const clientId of [...states.keys()]) if (clientId !== own) states.delete(clientId);
    const state = own === undefined ? undefined : states.get(own);
    if (own !== undefined && state) states.set(own, stamp(state, connection.context as ConnectionContext, own));
  }

  return {
    extensionName: 'presence',
    async connected({ connection }) {
      const handle = connection.handleMessage.bind(connection);
      connection.handleMessage = (message) => {
        const update = awarenessUpdateIn(message);
        if (!update) return handle(message);
        vouch(connection, update.states);
        if (update.states.size > 0) connection.document.applyAwarenessUpdate(connection, encodeAwarenessUpdate(update));
      };
    },
    async beforeHandleAwareness({ connection, states }) {
      // Updates from this server itself or from other instances (through Redis) were stamped where they came in.
      if (connection) vouch(connection, states);
    },
  };
}

/**
 * The awareness update a message carries; null for any other message, and for one that cannot be read (Hocuspocus
 * reads it, and closes the connection as it does for every message it cannot read). Every message of the
 * connection comes through here: only its frame is read before the type says whether it is awareness.
 */
function awarenessUpdateIn(message: Uint8Array): AwarenessUpdate | null {
  const { type, bodyStart } = frameOf(message);
  if (type !== MessageType.Awareness) return null;
  try {
    return decodeAwarenessUpdate(new IncomingMessage(message.subarray(bodyStart)).readVarUint8Array());
  } catch {
    return null;
  }
}

/**
 * An awareness update as y-protocols encodes it: the number of entries, then for each a client id, its clock
 * and its state as JSON. A null state (a client that left) is skipped, as Hocuspocus' own reading does: a
 * connection's clients leave with it.
 */
function decodeAwarenessUpdate(update: Uint8Array): AwarenessUpdate {
  const incoming = new IncomingMessage(update);
  const states: States = new Map();
  const clocks = new Map<number, number>();
  for (let entries = incoming.readVarUint(); entries > 0; entries--) {
    const clientId = incoming.readVarUint();
    const clock = incoming.readVarUint();
    const state: unknown = JSON.parse(incoming.readVarString());
    if (state === null) continue;
    states.set(clientId, state as Record<string, unknown>);
    clocks.set(clientId, clock);
  }
  return { states, clocks };
}

function encodeAwarenessUpdate({ states, clocks }: AwarenessUpdate): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, states.size);
  for (const [clientId, state] of states) {
    encoding.writeVarUint(encoder, clientId);
    encoding.writeVarUint(encoder, clocks.get(clientId)!);
    encoding.writeVarString(encoder, JSON.stringify(state));
  }
  return encoding.toUint8Array(encoder);
}

function isState(state: unknown): boolean {
  return typeof state === 'object' && state !== null && !Array.isArray(state) && Object.keys(state).length > 0;
}

function stamp(state: Record<string, unknown>, context: ConnectionContext, clientId: number): Record<string, unknown> {
  const claimedColor = (state.user as { color?: unknown } | null | undefined)?.color;
  const user: AwarenessUser = {
    id: context.user.id,
    name: context.user.username,
    role: context.role,
    color: isPresenceColor(claimedColor) ? claimedColor : colorFor(context.user.id),
  };
  return { user, presence: presenceOf(state.presence, user, clientId) };
}

/** The client's tldraw presence with our identity in it, or null when it is not a valid one. */
function presenceOf(value: unknown, user: AwarenessUser, clientId: number): TLInstancePresence | null {
  if (typeof value !== 'object' || value === null) return null;
  try {
    return InstancePresenceRecordType.validate({
      ...value,
      id: InstancePresenceRecordType.createId(String(clientId)),
      typeName: 'instance_presence',
      userId: createUserId(user.id),
      userName: user.name,
      color: user.color,
    });
  } catch {
    return null;
  }
}
