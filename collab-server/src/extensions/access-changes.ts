// The API publishes every change of access on Redis. Open connections follow at once: a removed member
// (or everyone, when the comic is deleted) is disconnected; a demoted or promoted one becomes read-only or
// read-write, and is told so with a stateless message {"type":"access","role"}; every connection opened
// with a session that ended (sign-out, sessions ended, password change, deactivation, role change) closes.
import { once } from 'node:events';
import { type Connection, type Extension, type Hocuspocus, OutgoingMessage } from '@hocuspocus/server';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parseMessage, quitOrDrop, type redisNames, sessionInvalidation } from '@inkwell/workflows';
import { COMIC_ROLES } from '../access.ts';
import { documentNameOf } from '../documents.ts';
import type { Logger } from '../logger.ts';
import type { ConnectionContext } from './auth.ts';

const comicAccessMessage = z.union([
  z.object({ comicId: z.uuid(), deleted: z.literal(true) }),
  z.object({ comicId: z.uuid(), userId: z.string().min(1), role: z.enum(COMIC_ROLES).nullable() }),
]);
type AccessChange = z.infer<typeof comicAccessMessage> | { sessionEnded: string };

/** A connection whose access check was answered just before a change is applied the change too. */
const RACE_WINDOW_MS = 10_000;

export interface AccessChanges {
  extension: Extension<ConnectionContext>;
  /** Resolves once subscribed: changes published before that are missed. */
  ready: Promise<unknown>;
  close(): Promise<void>;
}

/** `subscriber` is a Redis connection of its own: once subscribed, it can do nothing else. */
export function createAccessChanges(deps: {
  subscriber: Redis;
  channels: Pick<ReturnType<typeof redisNames>, 'comicAccess' | 'sessionInvalidations'>;
  logger: Logger;
}): AccessChanges {
  const { subscriber, channels } = deps;
  let instance: Hocuspocus<ConnectionContext> | undefined;
  const recent = new Map<string, { change: AccessChange; at: number }>();
  const keyOf = (change: AccessChange) =>
    'sessionEnded' in change ? `session:${change.sessionEnded}` : `comic:${change.comicId}:${'deleted' in change ? '*' : change.userId}`;
  const keysOf = (context: ConnectionContext) => [`comic:${context.comicId}:*`, `comic:${context.comicId}:${context.user.id}`, `session:${context.sessionId}`];

  function applyTo(connection: Connection<ConnectionContext>, change: AccessChange): void {
    if ('sessionEnded' in change) {
      if (connection.context.sessionId === change.sessionEnded) connection.close({ code: 4401, reason: 'session-ended' });
      return;
    }
    if ('deleted' in change) return connection.close({ code: 4404, reason: 'comic-deleted' });
    if (connection.context.user.id !== change.userId) return;
    if (change.role === null) return connection.close({ code: 4403, reason: 'access-revoked' });
    const wasReadOnly = connection.readOnly;
    connection.context.role = change.role;
    connection.readOnly = change.role === 'viewer';
    connection.sendStateless(JSON.stringify({ type: 'access', role: change.role }));
    // Updates refused while read-only are missing here, and the client's next ones build on them: Yjs would
    // hold those back for ever. Ask the client for everything this document lacks, so it is in sync again.
    if (wasReadOnly && !connection.readOnly) {
      connection.send(new OutgoingMessage(connection.messageAddress).createSyncMessage().writeFirstSyncStepFor(connection.document).toUint8Array());
    }
  }

  /** The connections a change may concern: the comic's, or, for a session, any. */
  function connectionsFor(change: AccessChange): Connection<ConnectionContext>[] {
    if ('sessionEnded' in change) return [...(instance?.documents.values() ?? [])].flatMap((document) => document.getConnections());
    return instance?.documents.get(documentNameOf(change.comicId))?.getConnections() ?? [];
  }

  function receive(change: AccessChange): void {
    const now = Date.now();
    for (const [key, entry] of recent) if (now - entry.at > RACE_WINDOW_MS) recent.delete(key);
    recent.set(keyOf(change), { change, at: now });
    for (const connection of connectionsFor(change)) applyTo(connection, change);
  }

  function parse(channel: string, raw: string): AccessChange | 'ignored' | undefined {
    if (channel === channels.comicAccess) return parseMessage(comicAccessMessage, raw);
    const invalidation = parseMessage(sessionInvalidation, raw);
    // A user's other changes (their email verified, say) leave their connections be.
    if (invalidation?.kind === 'user') return 'ignored';
    return invalidation && { sessionEnded: invalidation.id };
  }

  subscriber.on('message', (channel: string, raw: string) => {
    const change = parse(channel, raw);
    if (change === undefined) deps.logger.warn('ignored an access change that is not one', { channel, message: raw.slice(0, 200) });
    else if (change !== 'ignored') receive(change);
  });

  // A SUBSCRIBE sent before the connection is ready is lost (ioredis' ready check then fails in subscriber mode).
  const ready = (subscriber.status === 'ready' ? Promise.resolve() : once(subscriber, 'ready')).then(() =>
    subscriber.subscribe(channels.comicAccess, channels.sessionInvalidations),
  );
  // Awaited by whoever starts serving; a server that never starts must not crash on it.
  ready.catch(() => {});

  return {
    extension: {
      extensionName: 'access-changes',
      async onConfigure(payload) {
        instance = payload.instance;
      },
      // The access check may have been answered before a change that was published while the connection
      // was being set up, when there was no connection yet to apply it to. An ended session never comes
      // back, so it counts even when heard before the check began (another API instance may not have heard).
      async connected({ connection, context }) {
        for (const key of keysOf(context)) {
          const entry = recent.get(key);
          if (entry && ('sessionEnded' in entry.change || entry.at >= context.checkedAt)) applyTo(connection, entry.change);
        }
      },
    },
    ready,
    async close() {
      await quitOrDrop(subscriber);
    },
  };
}
