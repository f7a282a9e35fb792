import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type Permission, roleByName } from '@inkwell/db';
import { AppError, badRequest, forbidden, unauthenticated } from '../errors.ts';
import type { ComicRole } from '../contract.ts';
import type { Auth, ClientInfo, SessionService } from '../services/sessions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in caller, or null for a visitor. */
    auth: Auth | null;
    client: ClientInfo;
  }
  interface FastifyContextConfig {
    /** What the caller must be allowed to do; every API route states it, `public` for anyone. */
    permission?: Permission | 'public';
    /** The least role on the comic named by `:id` that the route needs; its service checks it. */
    comicRole?: ComicRole;
  }
}

const GUEST_PERMISSIONS: ReadonlySet<string> = new Set(roleByName('guest').permissions);
/** What a suspended account may not do (on writes): make, publish, generate, upload, edit. Reading, reporting and its own account stay open. */
const SUSPENDED_WRITES: ReadonlySet<Permission> = new Set<Permission>(['comics:create', 'media:upload', 'jobs:create', 'jobs:create-advanced', 'content:publish']);
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface SessionCookie {
  name: string;
  set(reply: FastifyReply, token: string, expiresAt: Date): void;
  clear(reply: FastifyReply): void;
}

export function sessionCookie(secure: boolean): SessionCookie {
  // The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and for path /.
  const name = secure ? '__Host-inkwell_session' : 'inkwell_session';
  const base = { httpOnly: true, sameSite: 'lax', secure, path: '/' } as const;
  return {
    name,
    set: (reply, token, expiresAt) => void reply.setCookie(name, token, { ...base, expires: expiresAt }),
    clear: (reply) => void reply.clearCookie(name, base),
  };
}

/** The caller of a route whose permission is not `public`: the permission check guarantees one. */
export function requireAuth(request: FastifyRequest): Auth {
  if (!request.auth) throw unauthenticated();
  return request.auth;
}

export const authPlugin = fp(
  async (app: FastifyInstance, opts: { sessions: Pick<SessionService, 'validate'>; cookie: SessionCookie; publicOrigin: string }) => {
    const { sessions, cookie, publicOrigin } = opts;
    app.decorateRequest('auth', null);
    app.decorateRequest('client', null as unknown as ClientInfo);

    // A route without a stated permission fails the boot, not a request.
    app.addHook('onRoute', (route) => {
      if (route.url.startsWith('/api/v1/') && !route.config?.permission) {
        throw new Error(`route ${route.method} ${route.url} does not declare the permission it needs`);
      }
      if (route.url.startsWith('/api/v1/comics/:id') && !route.config?.comicRole) {
        throw new Error(`route ${route.method} ${route.url} does not declare the comic role it needs`);
      }
    });

    app.addHook('onRequest', async (request, reply) => {
      request.client = { ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null };
      if (!request.url.startsWith('/api/')) return;
      // Behind a trusted proxy the address comes from X-Forwarded-For: refuse one that is not an address
      // before anything is written with it (sessions and the audit log store it as inet, which takes no zone id).
      if (request.ip && (!isIP(request.ip) || request.ip.includes('%'))) {
        throw badRequest('invalid_client_address', 'X-Forwarded-For must list IP addresses');
      }

      // Browsers send Origin on cross-site writes: refuse them even if a cookie rides along.
      const origin = request.headers.origin;
      if (origin && UNSAFE_METHODS.has(request.method) && origin !== publicOrigin) {
        throw new AppError(403, 'cross_origin', 'Cross-origin requests are not accepted');
      }

      const token = request.cookies[cookie.name];
      if (!token) return;
      const session = await sessions.validate(token);
      if (!session) {
        cookie.clear(reply);
        return;
      }
      request.auth = session;
      if (session.renewedUntil) cookie.set(reply, token, session.renewedUntil);
    });

    app.addHook('preHandler', async (request) => {
      const permission = request.routeOptions.config.permission;
      if (!permission || permission === 'public') return;
      if (!request.auth) {
        if (GUEST_PERMISSIONS.has(permission)) return;
        throw unauthenticated();
      }
      if (!request.auth.user.permissions.has(permission)) throw forbidden();
      const suspension = request.auth.user.suspension;
      if (suspension && suspension.until > new Date() && UNSAFE_METHODS.has(request.method) && SUSPENDED_WRITES.has(permission)) {
        throw new AppError(403, 'account_suspended', `Your account is suspended until ${suspension.until.toISOString()}: you can read, but not create, publish, generate or upload`, {
          until: suspension.until.toISOString(),
          reason: suspension.reason,
        });
      }
    });
  },
  { name: 'auth', dependencies: ['@fastify/cookie'] },
);
