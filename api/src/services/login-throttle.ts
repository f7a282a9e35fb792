import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';

const MAX_FAILURES = 10;
const WINDOW_SECONDS = 15 * 60;

/**
 * Counts wrong passwords per account (per typed name when no account matches), wherever they come from:
 * the per-address rate limit stops one machine, this stops many machines guessing one password.
 * Like the rate limits, it fails open while Redis is down: signing in must not depend on a counter.
 */
export function createLoginThrottle(deps: { redis: Redis; prefix: string; onError: (error: unknown) => void }) {
  const key = (subject: string) => `${deps.prefix}login-failures:${subject.trim().toLowerCase()}`;
  const orSkip = <T>(promise: Promise<T>): Promise<T | undefined> => promise.catch((error: unknown) => void deps.onError(error));
  return {
    async assertAllowed(subject: string): Promise<void> {
      const k = key(subject);
      const counted = await orSkip(Promise.all([deps.redis.get(k), deps.redis.ttl(k)]));
      if (!counted) return;
      const [failures, ttl] = counted;
      if (Number(failures ?? 0) >= MAX_FAILURES) {
        const retryAfter = Math.max(ttl, 1);
        throw new AppError(429, 'too_many_attempts', `Too many wrong passwords for this account: try again in ${Math.ceil(retryAfter / 60)} minutes`, {
          retryAfter,
        });
      }
    },
    async recordFailure(subject: string): Promise<void> {
      const k = key(subject);
      await orSkip(deps.redis.multi().incr(k).expire(k, WINDOW_SECONDS, 'NX').exec());
    },
    async reset(subject: string): Promise<void> {
      await orSkip(deps.redis.del(key(subject)));
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
