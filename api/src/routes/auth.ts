import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  changePasswordBody,
  currentUser,
  endSessionsQuery,
  idParams,
  loginBody,
  ok,
  passwordResetBody,
  passwordResetRequestBody,
  registerBody,
  sessionInfo,
  verifyEmailBody,
} from '../contract.ts';
import { notFound } from '../errors.ts';
import { AUTH_ROUTE_LIMIT } from '../plugins/rate-limit.ts';
import { type SessionCookie, requireAuth } from '../plugins/auth.ts';
import type { AccountService, NewSession } from '../services/accounts.ts';
import type { AuditService } from '../services/audit.ts';
import type { BackgroundTasks } from '../lib/background.ts';
import type { AuthUser, SessionService } from '../services/sessions.ts';

export interface AuthRouteDeps {
  accounts: AccountService;
  sessions: SessionService;
  audit: Pick<AuditService, 'record'>;
  background: BackgroundTasks;
  cookie: SessionCookie;
}

export function presentUser(user: AuthUser): z.infer<typeof currentUser> {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    role: user.role as z.infer<typeof currentUser>['role'],
    permissions: [...user.permissions],
    emailVerified: user.emailVerified,
    createdAt: user.createdAt.toISOString(),
  };
}

const empty = ok(z.object({}));
const tags = ['auth'];

export const authRoutes: FastifyPluginAsyncZod<AuthRouteDeps> = async (app, { accounts, sessions, audit, background, cookie }) => {
  /** Sets the new session's cookie and answers with the user it belongs to. */
  async function signedIn(reply: FastifyReply, session: NewSession, status: number) {
    cookie.set(reply, session.token, session.expiresAt);
    const validated = await sessions.validate(session.token);
    return reply.status(status).send({ success: true as const, data: presentUser(validated!.user) });
  }

  app.post(
    '/register',
    {
      config: { permission: 'public', rateLimit: AUTH_ROUTE_LIMIT },
      schema: { tags, summary: 'Create an account and sign in', body: registerBody, response: { 201: ok(currentUser) } },
    },
    async (request, reply) => signedIn(reply, await accounts.register(request.body, request.client), 201),
  );

  app.post(
    '/login',
    {
      config: { permission: 'public', rateLimit: AUTH_ROUTE_LIMIT },
      schema: { tags, summary: 'Sign in with email or username', body: loginBody, response: { 200: ok(currentUser) } },
    },
    async (request, reply) => signedIn(reply, await accounts.login(request.body, request.client), 200),
  );

  app.post(
    '/logout',
    { config: { permission: 'public' }, schema: { tags, summary: 'Sign out of this session', response: { 200: empty } } },
    async (request, reply) => {
      if (request.auth) await accounts.logout(request.auth, request.client);
      cookie.clear(reply);
      return { success: true as const, data: {} };
    },
  );

  app.get(
    '/me',
    { config: { permission: 'account:manage' }, schema: { tags, summary: 'The signed-in user', response: { 200: ok(currentUser) } } },
    async (request) => ({ success: true as const, data: presentUser(requireAuth(request).user) }),
  );

  app.get(
    '/sessions',
    {
      config: { permission: 'account:manage' },
      schema: { tags, summary: 'My sessions', response: { 200: ok(z.array(sessionInfo)) } },
    },
    async (request) => {
      const auth = requireAuth(request);
      const rows = await sessions.list(auth.user.id);
      return {
        success: true as const,
        data: rows.map((s) => ({
          ...s,
          current: s.id === auth.sessionId,
          createdAt: s.createdAt.toISOString(),
          lastUsedAt: s.lastUsedAt.toISOString(),
          expiresAt: s.expiresAt.toISOString(),
        })),
      };
    },
  );

  app.delete(
    '/sessions/:id',
    {
      config: { permission: 'account:manage' },
      schema: { tags, summary: 'End one of my sessions', params: idParams, response: { 200: empty } },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      if (!(await sessions.revoke(auth.user.id, request.params.id))) throw notFound('Session');
      await audit.record({ actorId: auth.user.id, action: 'auth.sessions_ended', resourceType: 'session', resourceId: request.params.id, client: request.client });
      if (request.params.id === auth.sessionId) cookie.clear(reply);
      return { success: true as const, data: {} };
    },
  );

  app.delete(
    '/sessions',
    {
      config: { permission: 'account:manage' },
      schema: {
        tags,
        summary: 'End all my sessions (or all but this one with keepCurrent=true)',
        querystring: endSessionsQuery,
        response: { 200: ok(z.object({ ended: z.number() })) },
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const keepCurrent = request.query.keepCurrent === 'true';
      const ended = await sessions.revokeAll(auth.user.id, keepCurrent ? auth.sessionId : undefined);
      await audit.record({
        actorId: auth.user.id,
        action: 'auth.sessions_ended',
        resourceType: 'user',
        resourceId: auth.user.id,
        newValues: { ended, keptCurrent: keepCurrent },
        client: request.client,
      });
      if (!keepCurrent) cookie.clear(reply);
      return { success: true as const, data: { ended } };
    },
  );

  app.post(
    '/password',
    {
      config: { permission: 'account:manage', rateLimit: AUTH_ROUTE_LIMIT },
      schema: { tags, summary: 'Change my password (ends my other sessions)', body: changePasswordBody, response: { 200: ok(currentUser) } },
    },
    async (request, reply) => signedIn(reply, await accounts.changePassword(requireAuth(request), request.body, request.client), 200),
  );

  app.post(
    '/verify-email/request',
    { config: { permission: 'account:manage' }, schema: { tags, summary: 'Send the verification mail again', response: { 202: empty } } },
    async (request, reply) => {
      await accounts.requestEmailVerification(requireAuth(request));
      return reply.status(202).send({ success: true as const, data: {} });
    },
  );

  app.post(
    '/verify-email',
    {
      config: { permission: 'public', rateLimit: AUTH_ROUTE_LIMIT },
      schema: { tags, summary: 'Confirm an email address with the mailed token', body: verifyEmailBody, response: { 200: empty } },
    },
    async (request) => {
      await accounts.verifyEmail(request.body.token, request.client);
      return { success: true as const, data: {} };
    },
  );

  app.post(
    '/password-reset/request',
    {
      config: { permission: 'public', rateLimit: AUTH_ROUTE_LIMIT },
      schema: { tags, summary: 'Mail a password reset link', body: passwordResetRequestBody, response: { 202: empty } },
    },
    async (request, reply) => {
      // Answered before the work is done: how long it takes must not tell which addresses have accounts.
      background.run(() => accounts.requestPasswordReset(request.body.email, request.client));
      return reply.status(202).send({ success: true as const, data: {} });
    },
  );

  app.post(
    '/password-reset',
    {
      config: { permission: 'public', rateLimit: AUTH_ROUTE_LIMIT },
      schema: { tags, summary: 'Set a new password with the mailed token', body: passwordResetBody, response: { 200: empty } },
    },
    async (request) => {
      await accounts.resetPassword(request.body, request.client);
      return { success: true as const, data: {} };
    },
  );
};
