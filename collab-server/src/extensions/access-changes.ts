// The API publishes every change of access to a comic on Redis. Open connections follow at once: a
// removed member (or everyone, when the comic is deleted) is disconnected; a demoted or promoted one
// becomes read-only or read-write, and is told so with a stateless message {"type":"access","role"}.
import { once } from 'node:events';
import { type Connection, type Extension, type Hocuspocus, OutgoingMessage } from '@hocuspocus/server';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { COMIC_ROLES } from '../access.ts';
import { documentNameOf } from '../documents.ts';
import type { Logger } from '../logger.ts';
import type { ConnectionContext } from './auth.ts';

const message = z.union([
  z.object({ comicId: z.uuid(), deleted: z.literal(true) }),
  z.object({ comicId: z.uuid(), userId: z.string().min(1), role: z.enum(COMIC_ROLES).nullable() }),
]);
type AccessChange = z.infer<typeof message>;

/** A connection whose access check was answered just before a change is applied the change too. */
const RACE_WINDOW_MS = 10_000;

export interface AccessChanges {
  extension: Extension<ConnectionContext>;
  /** Resolves once subscribed: changes published before that are missed. */
  ready: Promise<unknown>;
  close(): Promise<void>;
}

/** `subscriber` is a Redis connection of its own: once subscribed, it can do nothing else. */
export function createAccessChanges(deps: { subscriber: Redis; channel: string; logger: Logger }): AccessChanges {
  const { subscriber } = deps;
  let instance: Hocuspocus<ConnectionContext> | undefined;
  const recent = new Map<string, { change: AccessChange; at: number }>();
  const keyOf = (comicId: string, userId?: string) => `${comicId}:${userId ?? '*'}`;

  function applyTo(connection: Connection<ConnectionContext>, change: AccessChange): void {
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

  function receive(change: AccessChange): void {
    const now = Date.now();
    for (const [key, entry] of recent) if (now - entry.at > RACE_WINDOW_MS) recent.delete(key);
    recent.set(keyOf(change.comicId, 'deleted' in change ? undefined : change.userId), { change, at: now });
    const document = instance?.documents.get(documentNameOf(change.comicId));
    for (const connection of document?.getConnections() ?? []) applyTo(connection, change);
  }

  subscriber.on('message', (channel: string, raw: string) => {
    if (channel !== deps.channel) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    const parsed = message.safeParse(json);
    if (parsed.success) receive(parsed.data);
    else deps.logger.warn('ignored an access change that is not one', { message: raw.slice(0, 200) });
  });

  // A SUBSCRIBE sent before the connection is ready is lost (ioredis' ready check then fails in subscriber mode).
  const ready = (subscriber.status === 'ready' ? Promise.resolve() : once(subscriber, 'ready')).then(() => subscriber.subscribe(deps.channel));
  // Awaited by whoever starts serving; a server that never starts must not crash on it.
  ready.catch(() => {});

  return {
    extension: {
      extensionName: 'access-changes',
      async onConfigure(payload) {
        instance = payload.instance;
      },
      // The access check may have been answered before a change that was published while the connection
      // was being set up, when there was no connection yet to apply it to.
      async connected({ connection, context }) {
        for (const key of [keyOf(context.comicId), keyOf(context.comicId, context.user.id)]) {
          const entry = recent.get(key);
          if (entry && entry.at >= context.checkedAt) applyTo(connection, entry.change);
        }
      },
    },
    ready,
    async close() {
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
