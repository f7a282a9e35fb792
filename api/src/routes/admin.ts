import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  adminUpdateUserBody,
  adminUser,
  adminUsersQuery,
  auditEntry,
  auditQuery,
  ok,
  okPage,
  outboxMessage,
  roleInfo,
  uuidParams,
} from '../contract.ts';
import { requireAuth } from '../plugins/auth.ts';
import type { AdminService } from '../services/admin.ts';

const tags = ['admin'];
const pageQuery = adminUsersQuery.pick({ page: true, limit: true });

function iso<T extends { createdAt: Date }>(row: T) {
  return { ...row, createdAt: row.createdAt.toISOString() };
}

export const adminRoutes: FastifyPluginAsyncZod<{ admin: AdminService }> = async (app, { admin }) => {
  app.get(
    '/users',
    {
      config: { permission: 'users:read' },
      schema: { tags, summary: 'Find users', querystring: adminUsersQuery, response: { 200: okPage(adminUser) } },
    },
    async (request) => {
      const { items, total } = await admin.listUsers(request.query);
      return { success: true as const, data: items.map(iso), pagination: { page: request.query.page, limit: request.query.limit, total } };
    },
  );

  app.patch(
    '/users/:id',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags,
        summary: "Change a user's role or deactivate / reactivate the account (ends their sessions)",
        params: uuidParams,
        body: adminUpdateUserBody,
        response: { 200: ok(adminUser) },
      },
    },
    async (request) => {
      const user = await admin.updateUser(requireAuth(request), request.params.id, request.body, request.client);
      return { success: true as const, data: iso(user) };
    },
  );

  app.get(
    '/roles',
    { config: { permission: 'users:read' }, schema: { tags, summary: 'Roles and their permissions', response: { 200: ok(z.array(roleInfo)) } } },
    async () => ({ success: true as const, data: (await admin.listRoles()) as z.infer<typeof roleInfo>[] }),
  );

  app.get(
    '/audit',
    {
      config: { permission: 'audit:read' },
      schema: { tags, summary: 'The audit log, newest first', querystring: auditQuery, response: { 200: okPage(auditEntry) } },
    },
    async (request) => {
      const { items, total } = await admin.listAudit(request.query);
      return { success: true as const, data: items.map(iso), pagination: { page: request.query.page, limit: request.query.limit, total } };
    },
  );

  app.get(
    '/outbox',
    {
      config: { permission: 'outbox:read' },
      schema: { tags, summary: 'Mail kept in the development outbox (no SMTP configured)', querystring: pageQuery, response: { 200: okPage(outboxMessage) } },
    },
    async (request) => {
      const { items, total } = await admin.listOutbox(requireAuth(request), request.query);
      return { success: true as const, data: items.map(iso), pagination: { page: request.query.page, limit: request.query.limit, total } };
    },
  );
};
