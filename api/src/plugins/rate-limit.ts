import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { RoleName } from '@inkwell/db';

/** Requests per minute for each role: more trust, more room. Visitors are counted per address. */
export const REQUESTS_PER_MINUTE: Record<RoleName, number> = {
  guest: 120,
  user: 600,
  creator: 1200,
  admin: 3000,
  super_admin: 6000,
};

/** Sign-in and sign-up are where credential stuffing happens: far tighter, always per address. */
export const AUTH_ROUTE_LIMIT = { max: 10, timeWindow: 60_000, keyGenerator: (request: FastifyRequest) => `ip:${request.ip}` };

/** Reports reach moderators' queue: a handful a minute per person is plenty, and floods are kept out. */
export const REPORT_ROUTE_LIMIT = { max: 10, timeWindow: 60_000, keyGenerator: (request: FastifyRequest) => `report:${request.auth?.user.id ?? request.ip}` };

/** Comments notify people: a lively discussion fits in 30 a minute per person, a flood of mentions does not. */
export const COMMENT_ROUTE_LIMIT = { max: 30, timeWindow: 60_000, keyGenerator: (request: FastifyRequest) => `comment:${request.auth?.user.id ?? request.ip}` };

export const rateLimitPlugin = fp(
  async (app: FastifyInstance, opts: { redis: Redis; prefix: string }) => {
    await app.register(rateLimit, {
      global: true,
      redis: opts.redis,
      nameSpace: `${opts.prefix}rl:`,
      timeWindow: 60_000,
      // A Redis outage lets requests through unlimited rather than failing every /api request with a 500.
      skipOnError: true,
      // Runs after the auth hook (registered first), so the caller's role is known.
      max: (request) => REQUESTS_PER_MINUTE[(request.auth?.user.role.name ?? 'guest') as RoleName] ?? REQUESTS_PER_MINUTE.guest,
      keyGenerator: (request) => (request.auth ? `user:${request.auth.user.id}` : `ip:${request.ip}`),
      // Health and metrics are for probes and Prometheus, never limited.
      allowList: (request) => !request.url.startsWith('/api/'),
      errorResponseBuilder: (_request, context) => ({
        statusCode: context.statusCode,
        code: 'rate_limited',
        message: `Too many requests: try again in ${context.after}`,
      }),
    });
  },
  { name: 'rate-limit', dependencies: ['auth'] },
);
