import { and, eq, gt, lt, ne, sql } from 'drizzle-orm';
import type { Database } from '@inkwell/db';
import { schema } from '@inkwell/db';
import type { SessionInvalidation } from '@inkwell/workflows';
import { issueToken, parseToken, secretMatches } from '../lib/tokens.ts';
import type { SessionCache } from './session-cache.ts';

const { roles, userSessions, users } = schema;

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

/** Who is calling: the user, their role and what it permits. Built from one query per request. */
export interface AuthUser {
  id: string;
  email: string;
  username: string;
  emailVerified: boolean;
  createdAt: Date;
  role: { name: string; level: number };
  /** In alphabetical order, as presented: built once per session read, not sorted on every request. */
  permissions: ReadonlySet<string>;
  /** A suspended account may sign in and read, not write (see the auth plugin). */
  suspension: { until: Date; reason: string | null } | null;
}

export interface Auth {
  user: AuthUser;
  sessionId: string;
}

export interface ValidatedSession extends Auth {
  /** A new expiry when this use renewed the session (the cookie must be sent again). */
  renewedUntil: Date | null;
}

/** Touching `last_used_at` on every request would turn every read into a write; once a minute is plenty. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function createSessionService(deps: {
  db: Database;
  ttlMs: number;
  cache?: SessionCache;
  /**
   * Tells every other service that a session ended or a user changed: API instances drop what they cached,
   * collab-servers close that session's connections. Sent whether or not this instance caches sessions.
   */
  announce?: (change: SessionInvalidation) => Promise<void>;
  now?: () => Date;
}) {
  const { db, ttlMs, cache } = deps;
  const now = deps.now ?? (() => new Date());

  async function invalidate(change: SessionInvalidation): Promise<void> {
    cache?.drop(change);
    await deps.announce?.(change);
  }

  /** Renews a session in its second half of life, and notes its use at most once a minute. */
  async function touch(id: string, expiresAt: Date, lastUsedAt: Date): Promise<{ expiresAt: Date; lastUsedAt: Date; renewed: boolean }> {
    const current = now();
    if (expiresAt.getTime() - current.getTime() < ttlMs / 2) {
      const renewedUntil = new Date(current.getTime() + ttlMs);
      await db.update(userSessions).set({ expiresAt: renewedUntil, lastUsedAt: current }).where(eq(userSessions.id, id));
      return { expiresAt: renewedUntil, lastUsedAt: current, renewed: true };
    }
    if (current.getTime() - lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await db.update(userSessions).set({ lastUsedAt: current }).where(eq(userSessions.id, id));
      return { expiresAt, lastUsedAt: current, renewed: false };
    }
    return { expiresAt, lastUsedAt, renewed: false };
  }

  return {
    ttlMs,

    async create(userId: string, client: ClientInfo): Promise<{ token: string; id: string; expiresAt: Date }> {
      const { id, token, secretHash } = issueToken();
      const expiresAt = new Date(now().getTime() + ttlMs);
      await db.insert(userSessions).values({
        id,
        userId,
        secretHash,
        expiresAt,
        ipAddress: client.ip,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
      });
      return { token, id, expiresAt };
    },

    /** Checks a cookie's token; renews the session when it has used up half its lifetime. */
    async validate(token: string): Promise<ValidatedSession | null> {
      const cached = cache?.get(token);
      if (cached) {
        if (cached.expiresAt <= now()) {
          cache!.delete(token);
          await db.delete(userSessions).where(eq(userSessions.id, cached.auth.sessionId));
          return null;
        }
        const touched = await touch(cached.auth.sessionId, cached.expiresAt, cached.lastUsedAt);
        if (touched.expiresAt !== cached.expiresAt || touched.lastUsedAt !== cached.lastUsedAt) {
          cache!.set(token, { auth: cached.auth, expiresAt: touched.expiresAt, lastUsedAt: touched.lastUsedAt }, cached.cachedAt);
        }
        return { ...cached.auth, renewedUntil: touched.renewed ? touched.expiresAt : null };
      }

      const parsed = parseToken(token);
      if (!parsed) return null;
      const readStartedAt = Date.now();
      const [row] = await db
        .select({
          secretHash: userSessions.secretHash,
          expiresAt: userSessions.expiresAt,
          lastUsedAt: userSessions.lastUsedAt,
          userId: users.id,
          email: users.email,
          username: users.username,
          emailVerified: users.emailVerified,
          isActive: users.isActive,
          createdAt: users.createdAt,
          suspendedUntil: users.suspendedUntil,
          suspensionReason: users.suspensionReason,
          roleName: roles.name,
          roleLevel: roles.level,
          permissions: roles.permissions,
        })
        .from(userSessions)
        .innerJoin(users, eq(users.id, userSessions.userId))
        .innerJoin(roles, eq(roles.id, users.roleId))
        .where(eq(userSessions.id, parsed.id));
      if (!row || !secretMatches(parsed.secret, row.secretHash)) return null;
      if (row.expiresAt <= now() || !row.isActive) {
        await db.delete(userSessions).where(eq(userSessions.id, parsed.id));
        return null;
      }
      const touched = await touch(parsed.id, row.expiresAt, row.lastUsedAt);
      const auth: Auth = {
        sessionId: parsed.id,
        user: {
          id: row.userId,
          email: row.email,
          username: row.username,
          emailVerified: row.emailVerified,
          createdAt: row.createdAt,
          role: { name: row.roleName, level: row.roleLevel },
          permissions: new Set([...row.permissions].sort()),
          suspension: row.suspendedUntil ? { until: row.suspendedUntil, reason: row.suspensionReason } : null,
        },
      };
      cache?.set(token, { auth, expiresAt: touched.expiresAt, lastUsedAt: touched.lastUsedAt }, readStartedAt);
      return { ...auth, renewedUntil: touched.renewed ? touched.expiresAt : null };
    },

    /** Drops what is cached about a user after a change to their account (role, email, password). */
    async forgetUser(userId: string): Promise<void> {
      await invalidate({ kind: 'user', id: userId });
    },

    /** Whether a session exists and has not expired (without renewing it: only its owner's requests do). */
    async isLive(sessionId: string): Promise<boolean> {
      const [row] = await db
        .select({ id: userSessions.id })
        .from(userSessions)
        .where(and(eq(userSessions.id, sessionId), gt(userSessions.expiresAt, now())));
      return row !== undefined;
    },

    list(userId: string) {
      return db
        .select({
          id: userSessions.id,
          ipAddress: userSessions.ipAddress,
          userAgent: userSessions.userAgent,
          createdAt: userSessions.createdAt,
          lastUsedAt: userSessions.lastUsedAt,
          expiresAt: userSessions.expiresAt,
        })
        .from(userSessions)
        .where(and(eq(userSessions.userId, userId), gt(userSessions.expiresAt, now())))
        .orderBy(sql`${userSessions.lastUsedAt} desc`);
    },

    /** Ends one of the user's sessions; false when the user has no such session. */
    async revoke(userId: string, sessionId: string): Promise<boolean> {
      const deleted = await db
        .delete(userSessions)
        .where(and(eq(userSessions.id, sessionId), eq(userSessions.userId, userId)))
        .returning({ id: userSessions.id });
      await invalidate({ kind: 'session', id: sessionId });
      return deleted.length > 0;
    },

    /** Ends every session of the user, or every one but `exceptSessionId`. Returns how many ended. */
    async revokeAll(userId: string, exceptSessionId?: string): Promise<number> {
      const where = exceptSessionId
        ? and(eq(userSessions.userId, userId), ne(userSessions.id, exceptSessionId))
        : eq(userSessions.userId, userId);
      const deleted = await db.delete(userSessions).where(where).returning({ id: userSessions.id });
      for (const { id } of deleted) await invalidate({ kind: 'session', id });
      return deleted.length;
    },

    async deleteExpired(): Promise<number> {
      const deleted = await db
        .delete(userSessions)
        .where(lt(userSessions.expiresAt, now()))
        .returning({ id: userSessions.id });
      return deleted.length;
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
