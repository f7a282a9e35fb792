import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { type SessionInvalidation, parseMessage, quitOrDrop, sessionInvalidation } from '@inkwell/workflows';
import type { Auth } from './sessions.ts';

export interface CachedSession {
  auth: Auth;
  expiresAt: Date;
  lastUsedAt: Date;
  cachedAt: number;
}

/**
 * Validated sessions kept in memory for a short while, so that a signed-in request costs no database
 * round trip. Every change that could make an entry wrong (sign-out, revocation, role change,
 * deactivation, password change, email verified) is dropped here at once by the session service, and
 * reaches every other API instance as a message on `channel`; the time limit is only a safety net for a
 * missed message.
 */
export function createSessionCache(opts: { ttlMs: number; maxEntries: number; redis?: Redis; channel: string }) {
  // Keyed by the whole token: a hit means this exact secret was checked against the database before.
  const entries = new Map<string, CachedSession>();
  // When each user or session was last invalidated: a database read that began before then is stale
  // and must not be cached (it may have read a session in the moment before it was revoked).
  const invalidatedAt = new Map<string, number>();

  function drop({ kind, id }: SessionInvalidation): void {
    invalidatedAt.set(`${kind}:${id}`, Date.now());
    for (const [token, entry] of entries) {
      if ((kind === 'user' ? entry.auth.user.id : entry.auth.sessionId) === id) entries.delete(token);
    }
  }

  function isStale(entry: Omit<CachedSession, 'cachedAt'>, readStartedAt: number): boolean {
    for (const key of [`user:${entry.auth.user.id}`, `session:${entry.auth.sessionId}`]) {
      const at = invalidatedAt.get(key);
      if (at !== undefined && at >= readStartedAt) return true;
    }
    return false;
  }

  // Invalidation marks only matter for reads still in flight: forget them after a cache lifetime.
  const sweep = setInterval(() => {
    const horizon = Date.now() - opts.ttlMs;
    for (const [key, at] of invalidatedAt) if (at < horizon) invalidatedAt.delete(key);
  }, opts.ttlMs);
  sweep.unref();

  const subscriber = opts.redis?.duplicate();
  // An outage is logged by the connection this one copies; unheard, ioredis would print each failed reconnection.
  subscriber?.on('error', () => {});
  // A SUBSCRIBE sent before the connection is ready is lost (ioredis' ready check then fails in subscriber mode).
  const ready = subscriber && (subscriber.status === 'ready' ? Promise.resolve() : once(subscriber, 'ready')).then(() => subscriber.subscribe(opts.channel)).then(() => {
    subscriber.on('message', (_channel, message) => {
      const change = parseMessage(sessionInvalidation, message);
      // A message not understood might have been about any entry.
      if (change) drop(change);
      else entries.clear();
    });
  });

  // While the subscriber is not connected, invalidations from other instances are missed: trust no
  // entry then (every request goes to the database), and forget them all once the connection drops.
  const listening = () => !subscriber || subscriber.status === 'ready';
  subscriber?.on('close', () => entries.clear());

  return {
    ready: ready ?? Promise.resolve(),

    get(token: string): CachedSession | undefined {
      if (!listening()) return undefined;
      const entry = entries.get(token);
      if (entry && Date.now() - entry.cachedAt > opts.ttlMs) {
        entries.delete(token);
        return undefined;
      }
      return entry;
    },

    /** Caches a session read from the database at `readStartedAt`, unless it was invalidated since. */
    set(token: string, entry: Omit<CachedSession, 'cachedAt'>, readStartedAt: number): void {
      if (!listening() || isStale(entry, readStartedAt)) return;
      entries.delete(token);
      entries.set(token, { ...entry, cachedAt: Date.now() });
      // Map keeps insertion order: the first key is the oldest entry.
      if (entries.size > opts.maxEntries) entries.delete(entries.keys().next().value!);
    },

    delete(token: string): void {
      entries.delete(token);
    },

    /** Forgets what is cached about a user or a session (this instance only: the message tells the others). */
    drop,

    async close(): Promise<void> {
      clearInterval(sweep);
      entries.clear();
      if (subscriber) await quitOrDrop(subscriber);
    },
  };
}

export type SessionCache = ReturnType<typeof createSessionCache>;
