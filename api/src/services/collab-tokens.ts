import type { Redis } from 'ioredis';
import { z } from 'zod';
import { issueToken, parseToken, secretMatches } from '../lib/tokens.ts';
import type { SessionService } from './sessions.ts';

const TTL_SECONDS = 5 * 60;

const entrySchema = z.object({ userId: z.string(), comicId: z.string(), sessionId: z.string(), secretHash: z.string() });

/**
 * Short-lived tokens for opening a comic's live document from a client that cannot send the session
 * cookie (another origin, a native app). Bound to one user, one comic and the session that asked for it:
 * a token is worth nothing once that session ends. Only a hash is kept.
 */
export function createCollabTokens(deps: { redis: Redis; prefix: string; sessions: Pick<SessionService, 'isLive'> }) {
  const key = (id: string) => `${deps.prefix}collab-token:${id}`;
  return {
    async issue(userId: string, comicId: string, sessionId: string): Promise<{ token: string; expiresAt: Date }> {
      const { id, token, secretHash } = issueToken();
      const entry: z.infer<typeof entrySchema> = { userId, comicId, sessionId, secretHash: secretHash.toString('hex') };
      await deps.redis.set(key(id), JSON.stringify(entry), 'EX', TTL_SECONDS);
      return { token, expiresAt: new Date(Date.now() + TTL_SECONDS * 1000) };
    },

    /** Who a token speaks for, and from which session, when it is valid, was issued for this comic, and its session lives. */
    async resolve(token: string, comicId: string): Promise<{ userId: string; sessionId: string } | null> {
      const parsed = parseToken(token);
      if (!parsed) return null;
      const stored = await deps.redis.get(key(parsed.id));
      const entry = stored ? entrySchema.safeParse(JSON.parse(stored)).data : undefined;
      if (!entry || entry.comicId !== comicId || !secretMatches(parsed.secret, Buffer.from(entry.secretHash, 'hex'))) return null;
      if (!(await deps.sessions.isLive(entry.sessionId))) return null;
      return { userId: entry.userId, sessionId: entry.sessionId };
    },
  };
}

export type CollabTokens = ReturnType<typeof createCollabTokens>;
