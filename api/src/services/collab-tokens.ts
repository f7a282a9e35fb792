import type { Redis } from 'ioredis';
import { issueToken, parseToken, secretMatches } from '../lib/tokens.ts';

const TTL_SECONDS = 5 * 60;

/**
 * Short-lived tokens for opening a comic's live document from a client that cannot send the session
 * cookie (another origin, a native app). Bound to one user and one comic; only a hash is kept.
 */
export function createCollabTokens(deps: { redis: Redis; prefix: string }) {
  const key = (id: string) => `${deps.prefix}collab-token:${id}`;
  return {
    async issue(userId: string, comicId: string): Promise<{ token: string; expiresAt: Date }> {
      const { id, token, secretHash } = issueToken();
      await deps.redis.set(key(id), JSON.stringify({ userId, comicId, secretHash: secretHash.toString('hex') }), 'EX', TTL_SECONDS);
      return { token, expiresAt: new Date(Date.now() + TTL_SECONDS * 1000) };
    },

    /** The user a token speaks for, when it is valid and was issued for this comic. */
    async resolve(token: string, comicId: string): Promise<string | null> {
      const parsed = parseToken(token);
      if (!parsed) return null;
      const stored = await deps.redis.get(key(parsed.id));
      if (!stored) return null;
      const entry = JSON.parse(stored) as { userId: string; comicId: string; secretHash: string };
      if (entry.comicId !== comicId || !secretMatches(parsed.secret, Buffer.from(entry.secretHash, 'hex'))) return null;
      return entry.userId;
    },
  };
}

export type CollabTokens = ReturnType<typeof createCollabTokens>;
