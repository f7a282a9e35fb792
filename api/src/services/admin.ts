import { count, desc, eq, ilike, or, sql } from 'drizzle-orm';
import type { Database, RoleName } from '@inkwell/db';
import { schema } from '@inkwell/db';
import { badRequest, forbidden, notFound } from '../errors.ts';
import { escapeLike } from '../lib/like.ts';
import { type PageRequest, paginate } from '../lib/pagination.ts';
import type { AccountService } from './accounts.ts';
import type { AuditService } from './audit.ts';
import type { Auth, ClientInfo, SessionService } from './sessions.ts';

const { auditLogs, outboxMessages, roles, users } = schema;

type Page = PageRequest;

const adminUserColumns = {
  id: users.id,
  email: users.email,
  username: users.username,
  isActive: users.isActive,
  emailVerified: users.emailVerified,
  createdAt: users.createdAt,
  suspendedUntil: users.suspendedUntil,
  suspensionReason: users.suspensionReason,
  roleName: roles.name,
  roleLevel: roles.level,
};

type Column<K extends keyof typeof adminUserColumns> = (typeof adminUserColumns)[K]['_'];
type AdminUserRow = { [K in keyof typeof adminUserColumns]: Column<K>['notNull'] extends true ? Column<K>['data'] : Column<K>['data'] | null };

function toAdminUser(row: AdminUserRow) {
  const { roleName, roleLevel, suspendedUntil, ...rest } = row;
  return { ...rest, suspendedUntil: suspendedUntil?.toISOString() ?? null, role: { name: roleName as RoleName, level: roleLevel } };
}

export function createAdminService(deps: {
  db: Database;
  sessions: Pick<SessionService, 'revokeAll'>;
  audit: Pick<AuditService, 'record'>;
  accounts: Pick<AccountService, 'createUser'>;
}) {
  const { db, sessions, audit } = deps;

  async function findUser(id: string) {
    const [row] = await db.select(adminUserColumns).from(users).innerJoin(roles, eq(roles.id, users.roleId)).where(eq(users.id, id));
    if (!row) throw notFound('User');
    return toAdminUser(row);
  }

  return {
    async listUsers(query: Page & { q?: string | undefined }) {
      const where = query.q
        ? or(ilike(users.username, `%${escapeLike(query.q)}%`), ilike(users.email, `%${escapeLike(query.q)}%`))
        : undefined;
      const { items, total } = await paginate(
        query,
        ({ limit, offset }) =>
          db.select(adminUserColumns).from(users).innerJoin(roles, eq(roles.id, users.roleId)).where(where).orderBy(desc(users.createdAt)).limit(limit).offset(offset),
        db.select({ total: count() }).from(users).where(where),
      );
      return { items: items.map(toAdminUser), total };
    },

    /**
     * Changes a user's role or active state. Admins act only on users below their own level and grant
     * only roles below it; only holders of `roles:manage` may grant their own level. Any change ends the
     * user's sessions, so new privileges always come with a new session.
     */
    async updateUser(actor: Auth, id: string, change: { role?: RoleName | undefined; isActive?: boolean | undefined }, client: ClientInfo) {
      if (id === actor.user.id) throw forbidden('You cannot change your own role or deactivate yourself');
      const target = await findUser(id);
      if (target.role.level >= actor.user.role.level) throw forbidden('You can only manage users below your own role');

      let roleId: number | undefined;
      if (change.role && change.role !== target.role.name) {
        if (change.role === 'guest') throw badRequest('invalid_role', 'Guest is the role of visitors who are not signed in');
        const [role] = await db.select({ id: roles.id, level: roles.level }).from(roles).where(eq(roles.name, change.role));
        if (!role) throw notFound('Role');
        const ceiling = actor.user.permissions.has('roles:manage') ? actor.user.role.level : actor.user.role.level - 1;
        if (role.level > ceiling) throw forbidden('You cannot grant a role at or above your own');
        roleId = role.id;
      }
      const activeChanges = change.isActive !== undefined && change.isActive !== target.isActive;
      if (roleId === undefined && !activeChanges) return target;

      await db
        .update(users)
        .set({ ...(roleId !== undefined && { roleId }), ...(activeChanges && { isActive: change.isActive }), updatedAt: new Date() })
        .where(eq(users.id, id));
      await sessions.revokeAll(id);
      if (roleId !== undefined) {
        await audit.record({
          actorId: actor.user.id,
          action: 'user.role_changed',
          resourceType: 'user',
          resourceId: id,
          oldValues: { role: target.role.name },
          newValues: { role: change.role },
          client,
        });
      }
      if (activeChanges) {
        await audit.record({
          actorId: actor.user.id,
          action: change.isActive ? 'user.reactivated' : 'user.deactivated',
          resourceType: 'user',
          resourceId: id,
          oldValues: { isActive: target.isActive },
          newValues: { isActive: change.isActive },
          client,
        });
      }
      return findUser(id);
    },

    listRoles() {
      return db
        .select({ name: roles.name, level: roles.level, description: roles.description, permissions: roles.permissions })
        .from(roles)
        .orderBy(roles.level);
    },

    async listAudit(query: Page & { action?: string | undefined; userId?: string | undefined }) {
      const conditions = [
        query.action ? eq(auditLogs.action, query.action) : undefined,
        query.userId ? eq(auditLogs.userId, query.userId) : undefined,
      ].filter((c) => c !== undefined);
      const where = conditions.length ? sql.join(conditions, sql` and `) : undefined;
      return paginate(
        query,
        ({ limit, offset }) =>
          db
            .select({
              id: auditLogs.id,
              userId: auditLogs.userId,
              username: users.username,
              action: auditLogs.action,
              resourceType: auditLogs.resourceType,
              resourceId: auditLogs.resourceId,
              oldValues: auditLogs.oldValues,
              newValues: auditLogs.newValues,
              ipAddress: auditLogs.ipAddress,
              userAgent: auditLogs.userAgent,
              createdAt: auditLogs.createdAt,
            })
            .from(auditLogs)
            .leftJoin(users, eq(users.id, auditLogs.userId))
            .where(where)
            .orderBy(desc(auditLogs.createdAt))
            .limit(limit)
            .offset(offset),
        db.select({ total: count() }).from(auditLogs).where(where),
      );
    },

    /**
     * Mail in the development outbox. Links in mail to accounts at or above the reader's level (other than
     * the reader's own) are redacted: a live reset token would let the reader take over that account.
     */
    async listOutbox(reader: Auth, query: Page) {
      const page = await paginate(
        query,
        ({ limit, offset }) =>
          db
            .select({
              id: outboxMessages.id,
              recipient: outboxMessages.recipient,
              subject: outboxMessages.subject,
              body: outboxMessages.body,
              createdAt: outboxMessages.createdAt,
              recipientId: users.id,
              recipientLevel: roles.level,
            })
            .from(outboxMessages)
            .leftJoin(users, sql`lower(${users.email}) = lower(${outboxMessages.recipient})`)
            .leftJoin(roles, eq(roles.id, users.roleId))
            .orderBy(desc(outboxMessages.createdAt))
            .limit(limit)
            .offset(offset),
        db.select({ total: count() }).from(outboxMessages),
      );
      const items = page.items.map(({ recipientId, recipientLevel, ...message }) => {
        const protectedAccount = recipientId !== null && recipientId !== reader.user.id && (recipientLevel ?? 0) >= reader.user.role.level;
        return protectedAccount ? { ...message, body: message.body.replace(/token=[^\s]+/g, 'token=[redacted]') } : message;
      });
      return { ...page, items };
    },

    /** Creates the first super admin from configuration or the CLI; does nothing when the account exists. */
    async ensureSuperAdmin(input: { email: string; username: string; password: string }): Promise<'created' | 'exists'> {
      const [existing] = await db
        .select({ id: users.id })
        .from(users)
        .where(or(sql`lower(${users.email}) = ${input.email.toLowerCase()}`, sql`lower(${users.username}) = ${input.username.toLowerCase()}`));
      if (existing) return 'exists';
      const user = await deps.accounts.createUser({ ...input, role: 'super_admin' });
      await db.update(users).set({ emailVerified: true }).where(eq(users.id, user.id));
      await audit.record({ actorId: null, action: 'user.super_admin_created', resourceType: 'user', resourceId: user.id });
      return 'created';
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
