// Awareness (who is here, their cursor and selection) as the server vouches for it. A connection speaks
// for one awareness client id, the first it sent that no other connection of the document holds; its
// updates about any other id are dropped, so nobody can move or overwrite someone else's presence. What
// it says about itself is stamped: `user` (id, name, role) comes from its authentication, the colour is
// kept only when it is a plain #rrggbb, and the tldraw presence is validated and given the same identity.
// Other clients receive only the stamped state.
import type { Connection, Extension } from '@hocuspocus/server';
import { InstancePresenceRecordType, type TLInstancePresence, createUserId } from '@tldraw/tlschema';
import { type AwarenessUser, colorFor, isPresenceColor } from '../model/index.ts';
import type { ConnectionContext } from './auth.ts';

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

  return {
    extensionName: 'presence',
    async beforeHandleAwareness({ connection, states }) {
      // Updates from this server itself or from other instances (through Redis) were stamped where they came in.
      if (!connection) return;
      // An empty state says nothing. Hocuspocus 4.7 adds one of its own to every update (the scratch
      // Awareness it decodes into has a local state), which must not be taken for the sender's.
      for (const [clientId, state] of states) if (Object.keys(state).length === 0) states.delete(clientId);
      const own = ownClientId(connection, states.keys());
      for (const clientId of [...states.keys()]) if (clientId !== own) states.delete(clientId);
      const state = own === undefined ? undefined : states.get(own);
      if (own !== undefined && state) states.set(own, stamp(state, connection.context as ConnectionContext, own));
    },
  };
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
