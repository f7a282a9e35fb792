import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';

const MAX_FAILURES = 10;
const WINDOW_SECONDS = 15 * 60;

/**
 * Counts failed sign-ins per account name, wherever they come from: the per-address rate limit stops one
 * machine, this stops many machines guessing one account's password.
 */
export function createLoginThrottle(deps: { redis: Redis; prefix: string }) {
  const key = (login: string) => `${deps.prefix}login-failures:${login.trim().toLowerCase()}`;
  return {
    async assertAllowed(login: string): Promise<void> {
      const k = key(login);
      const [failures, ttl] = await Promise.all([deps.redis.get(k), deps.redis.ttl(k)]);
      if (Number(failures ?? 0) >= MAX_FAILURES) {
        const retryAfter = Math.max(ttl, 1);
        throw new AppError(429, 'too_many_attempts', `Too many failed sign-ins for this account: try again in ${Math.ceil(retryAfter / 60)} minutes`, {
          retryAfter,
        });
      }
    },
    async recordFailure(login: string): Promise<void> {
      const k = key(login);
      await deps.redis.multi().incr(k).expire(k, WINDOW_SECONDS, 'NX').exec();
    },
    async reset(login: string): Promise<void> {
      await deps.redis.del(key(login));
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
