import { and, count, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Database } from '@inkwell/db';
import { schema } from '@inkwell/db';
import type { ComicRole } from '../contract.ts';
import { AppError, conflict, forbidden, notFound } from '../errors.ts';
import { type PageRequest, paginate } from '../lib/pagination.ts';
import { issueToken, parseToken, secretMatches } from '../lib/tokens.ts';
import { publicationOf } from './publishing.ts';
import type { Notify } from './notifications.ts';
import type { AuditAction, AuditService } from './audit.ts';
import type { Auth, ClientInfo } from './sessions.ts';

const { comicInvites, comicMembers, comics, users } = schema;

type ComicAuditAction = Extract<AuditAction, `comic.${string}`>;

/** Who may do more on a comic: each role may do all that the ones below it may. */
export const COMIC_ROLE_RANK: Record<ComicRole, number> = { viewer: 1, editor: 2, owner: 3 };

/** What the collab-server must do when someone's access to a comic changes. */
export type AccessChange = { comicId: string; userId: string; role: ComicRole | null } | { comicId: string; deleted: true };

export interface ComicServiceDeps {
  db: Database;
  /** Tells every collab-server at once, so open connections close or turn read-only. */
  publishAccessChange(change: AccessChange): Promise<void>;
  /** Comic events are audited with the comic's title and people's names, before and after. */
  audit: Pick<AuditService, 'record'>;
  /** Tells someone they were added to a comic. */
  notify: Notify;
  publicUrl: string;
}

const comicColumns = {
  id: comics.id,
  title: comics.title,
  description: comics.description,
  privacy: comics.privacy,
  isPublished: comics.isPublished,
  thumbnailUrl: comics.thumbnailUrl,
  ownerId: comics.userId,
  createdAt: comics.createdAt,
  updatedAt: comics.updatedAt,
};

export function createComicService(deps: ComicServiceDeps) {
  const { db, publishAccessChange } = deps;

  // Nearly every comic route asks it first: built by drizzle once, parsed by Postgres once per connection.
  const memberRole = db
    .select({ role: comicMembers.role })
    .from(comicMembers)
    .where(and(eq(comicMembers.comicId, sql.placeholder('comicId')), eq(comicMembers.userId, sql.placeholder('userId'))))
    .prepare('comic_member_role');

  async function roleOf(userId: string, comicId: string): Promise<ComicRole | null> {
    const [member] = await memberRole.execute({ comicId, userId });
    return member?.role ?? null;
  }

  /**
   * The caller's role, at least `needed`. A comic the caller may not see at all answers 404, so that
   * private comics cannot be discovered by probing ids; a member with too small a role gets 403.
   */
  async function requireRole(actor: Auth, comicId: string, needed: ComicRole): Promise<ComicRole> {
    const role = await roleOf(actor.user.id, comicId);
    if (!role) throw notFound('Comic');
    if (COMIC_ROLE_RANK[role] < COMIC_ROLE_RANK[needed]) throw forbidden(`Only the comic's ${needed === 'owner' ? 'owner' : `${needed}s and owner`} can do that`);
    return role;
  }

  /**
   * The comic's detail: its members see the live summary, anyone else (reading it published) the published one,
   * and only members and `moderator`s see it published while moderators hide it.
   */
  async function findComic(comicId: string, member: boolean, moderator = false) {
    const [comic] = await db
      .select({
        ...comicColumns,
        panels: comics.panels,
        publishedAt: comics.publishedAt,
        publishedFrom: comics.publishedFrom,
        publishedSnapshot: comics.publishedSnapshot,
        moderationState: comics.moderationState,
      })
      .from(comics)
      .where(eq(comics.id, comicId));
    if (!comic) throw notFound('Comic');
    const { publishedSnapshot, panels, moderationState, ...detail } = comic;
    if (!member && !moderator && moderationState !== 'visible') return { ...detail, panels: null, publication: null };
    const publication = publicationOf(comic, deps.publicUrl);
    if (member) return { ...detail, panels, publication };
    // A new title or description is an unpublished change like any other: outsiders see the published ones,
    // and are not told that there are changes.
    const published = publishedSnapshot && { title: publishedSnapshot.title, description: publishedSnapshot.description };
    return { ...detail, ...published, panels: publishedSnapshot?.summary ?? null, publication: publication && { ...publication, hasUnpublishedChanges: false } };
  }

  async function titleOf(comicId: string): Promise<string | null> {
    const [comic] = await db.select({ title: comics.title }).from(comics).where(eq(comics.id, comicId));
    return comic?.title ?? null;
  }

  /** The new member's notification: which comic, their role, and who invited them. */
  async function notifyInvited(userId: string, comicId: string, role: ComicRole, by: string | null) {
    await deps.notify([userId], 'invitation', { comicId, comicTitle: await titleOf(comicId), role, by });
  }

  async function usernameOf(userId: string): Promise<string | null> {
    const [user] = await db.select({ username: users.username }).from(users).where(eq(users.id, userId));
    return user?.username ?? null;
  }

  /** One comic event in the audit log: the comic is named in both values, so the entry reads on its own. */
  async function audited(actor: Auth, action: ComicAuditAction, comicId: string, change: { before?: object; after?: object }, client?: ClientInfo) {
    const comic = await titleOf(comicId);
    await deps.audit.record({
      actorId: actor.user.id,
      action,
      resourceType: 'comic',
      resourceId: comicId,
      oldValues: change.before && { comic, ...change.before },
      newValues: change.after && { comic, ...change.after },
      client,
    });
  }

  return {
    requireRole,
    roleOf,

    async list(actor: Auth, page: PageRequest) {
      const mine = eq(comicMembers.userId, actor.user.id);
      return paginate(
        page,
        ({ limit, offset }) =>
          db
            .select({ ...comicColumns, myRole: comicMembers.role })
            .from(comics)
            .innerJoin(comicMembers, and(eq(comicMembers.comicId, comics.id), mine))
            .orderBy(desc(comics.updatedAt))
            .limit(limit)
            .offset(offset),
        db.select({ total: count() }).from(comicMembers).where(mine),
      );
    },

    async create(actor: Auth, input: { title: string; description?: string | undefined }, client?: ClientInfo) {
      const created = await db.transaction(async (tx) => {
        const [comic] = await tx
          .insert(comics)
          .values({ userId: actor.user.id, title: input.title, description: input.description ?? null })
          .returning(comicColumns);
        await tx.insert(comicMembers).values({ comicId: comic!.id, userId: actor.user.id, role: 'owner' });
        return { ...comic!, myRole: 'owner' as const };
      });
      await audited(actor, 'comic.created', created.id, { after: {} }, client);
      return created;
    },

    /** A comic for its members and moderators; a published, non-private, not hidden one for anyone. */
    async get(actor: Auth | null, comicId: string) {
      const myRole = actor ? await roleOf(actor.user.id, comicId) : null;
      const comic = await findComic(comicId, myRole !== null, actor?.user.permissions.has('moderation:review'));
      if (!myRole && !comic.publication) throw notFound('Comic');
      return { ...comic, myRole };
    },

    /** Editors may retitle and describe; who may read the comic is decided by publishing it (the owner). */
    async update(actor: Auth, comicId: string, change: { title?: string | undefined; description?: string | null | undefined }, client?: ClientInfo) {
      await requireRole(actor, comicId, 'editor');
      const [before] = await db.select({ title: comics.title, description: comics.description }).from(comics).where(eq(comics.id, comicId));
      await db
        .update(comics)
        .set({
          ...(change.title !== undefined && { title: change.title }),
          ...(change.description !== undefined && { description: change.description }),
          updatedAt: new Date(),
        })
        .where(eq(comics.id, comicId));
      if (before && change.title !== undefined && change.title !== before.title) {
        await deps.audit.record({ actorId: actor.user.id, action: 'comic.renamed', resourceType: 'comic', resourceId: comicId, oldValues: { title: before.title }, newValues: { title: change.title }, client });
      }
      if (before && change.description !== undefined && change.description !== before.description) {
        await audited(actor, 'comic.description_changed', comicId, { before: { description: before.description }, after: { description: change.description } }, client);
      }
      return { ...(await findComic(comicId, true)), myRole: await roleOf(actor.user.id, comicId) };
    },

    /** Deletes the comic; what it had published is returned, for its images to be removed too. */
    async remove(actor: Auth, comicId: string, client?: ClientInfo) {
      await requireRole(actor, comicId, 'owner');
      const [removed] = await db.delete(comics).where(eq(comics.id, comicId)).returning({ title: comics.title, privacy: comics.privacy, publishedSnapshot: comics.publishedSnapshot });
      await publishAccessChange({ comicId, deleted: true });
      if (removed) {
        await deps.audit.record({ actorId: actor.user.id, action: 'comic.deleted', resourceType: 'comic', resourceId: comicId, oldValues: { comic: removed.title, privacy: removed.privacy }, client });
      }
      return { publishedSnapshot: removed?.publishedSnapshot ?? null };
    },

    async members(actor: Auth, comicId: string) {
      await requireRole(actor, comicId, 'viewer');
      const rows = await db
        .select({ userId: comicMembers.userId, username: users.username, role: comicMembers.role, addedAt: comicMembers.createdAt })
        .from(comicMembers)
        .innerJoin(users, eq(users.id, comicMembers.userId))
        .where(eq(comicMembers.comicId, comicId))
        .orderBy(sql`case ${comicMembers.role} when 'owner' then 0 when 'editor' then 1 else 2 end`, users.username);
      return rows;
    },

    async addMember(actor: Auth, comicId: string, input: { username: string; role: 'editor' | 'viewer' }, client?: ClientInfo) {
      await requireRole(actor, comicId, 'owner');
      const [user] = await db
        .select({ id: users.id, username: users.username })
        .from(users)
        .where(and(sql`lower(${users.username}) = ${input.username.toLowerCase()}`, eq(users.isActive, true)));
      if (!user) throw new AppError(404, 'user_not_found', `No one is called ${input.username}`);
      const inserted = await db
        .insert(comicMembers)
        .values({ comicId, userId: user.id, role: input.role, invitedBy: actor.user.id })
        .onConflictDoNothing()
        .returning({ addedAt: comicMembers.createdAt });
      if (inserted.length === 0) throw conflict('already_member', `${user.username} is already a member of this comic`);
      await publishAccessChange({ comicId, userId: user.id, role: input.role });
      await audited(actor, 'comic.member_added', comicId, { after: { username: user.username, role: input.role } }, client);
      await notifyInvited(user.id, comicId, input.role, actor.user.username);
      return { userId: user.id, username: user.username, role: input.role, addedAt: inserted[0]!.addedAt };
    },

    async updateMember(actor: Auth, comicId: string, userId: string, role: 'editor' | 'viewer', client?: ClientInfo) {
      await requireRole(actor, comicId, 'owner');
      const before = await roleOf(userId, comicId);
      const updated = await db
        .update(comicMembers)
        .set({ role })
        .where(and(eq(comicMembers.comicId, comicId), eq(comicMembers.userId, userId), ne(comicMembers.role, 'owner')))
        .returning({ userId: comicMembers.userId, addedAt: comicMembers.createdAt });
      if (updated.length === 0) throw notFound('Member');
      await publishAccessChange({ comicId, userId, role });
      const username = await usernameOf(userId);
      if (before !== role) await audited(actor, 'comic.member_role_changed', comicId, { before: { username, role: before }, after: { username, role } }, client);
      return { userId, username: username!, role, addedAt: updated[0]!.addedAt };
    },

    /** The owner removes a member, or a member leaves. The owner cannot leave their own comic. */
    async removeMember(actor: Auth, comicId: string, userId: string, client?: ClientInfo): Promise<void> {
      const leaving = userId === actor.user.id;
      const role = await requireRole(actor, comicId, leaving ? 'viewer' : 'owner');
      if (leaving && role === 'owner') {
        throw conflict('owner_cannot_leave', 'The owner cannot leave their comic: delete it instead');
      }
      const deleted = await db
        .delete(comicMembers)
        .where(and(eq(comicMembers.comicId, comicId), eq(comicMembers.userId, userId), ne(comicMembers.role, 'owner')))
        .returning({ userId: comicMembers.userId, role: comicMembers.role });
      if (deleted.length === 0) throw notFound('Member');
      await publishAccessChange({ comicId, userId, role: null });
      const change = { before: { username: await usernameOf(userId), role: deleted[0]!.role } };
      await audited(actor, leaving ? 'comic.member_left' : 'comic.member_removed', comicId, change, client);
    },

    async createInvite(actor: Auth, comicId: string, input: { role: 'editor' | 'viewer'; expiresInDays: number }, client?: ClientInfo) {
      await requireRole(actor, comicId, 'owner');
      const { id, token, secretHash } = issueToken();
      const expiresAt = new Date(Date.now() + input.expiresInDays * 86_400_000);
      const [invite] = await db
        .insert(comicInvites)
        .values({ id, comicId, role: input.role, secretHash, createdBy: actor.user.id, expiresAt })
        .returning({ id: comicInvites.id, role: comicInvites.role, expiresAt: comicInvites.expiresAt, createdAt: comicInvites.createdAt });
      await audited(actor, 'comic.invite_created', comicId, { after: { role: input.role, expiresAt: expiresAt.toISOString() } }, client);
      return { ...invite!, url: `${deps.publicUrl}/invite/${token}` };
    },

    async listInvites(actor: Auth, comicId: string) {
      await requireRole(actor, comicId, 'owner');
      const rows = await db
        .select({ id: comicInvites.id, role: comicInvites.role, expiresAt: comicInvites.expiresAt, createdAt: comicInvites.createdAt })
        .from(comicInvites)
        .where(and(eq(comicInvites.comicId, comicId), isNull(comicInvites.revokedAt), gt(comicInvites.expiresAt, new Date())))
        .orderBy(desc(comicInvites.createdAt));
      return rows;
    },

    async revokeInvite(actor: Auth, comicId: string, inviteId: string, client?: ClientInfo): Promise<void> {
      await requireRole(actor, comicId, 'owner');
      const revoked = await db
        .update(comicInvites)
        .set({ revokedAt: new Date() })
        .where(and(eq(comicInvites.id, inviteId), eq(comicInvites.comicId, comicId), isNull(comicInvites.revokedAt)))
        .returning({ id: comicInvites.id, role: comicInvites.role });
      if (revoked.length === 0) throw notFound('Invite');
      await audited(actor, 'comic.invite_revoked', comicId, { before: { role: revoked[0]!.role } }, client);
    },

    /** Joins the comic a share link points to; someone already there keeps the higher of the two roles. */
    async acceptInvite(actor: Auth, token: string, client?: ClientInfo): Promise<{ comicId: string; role: ComicRole }> {
      const invalid = new AppError(400, 'invalid_token', 'This invite link is invalid, revoked or expired');
      const parsed = parseToken(token);
      if (!parsed) throw invalid;
      const [invite] = await db
        .select()
        .from(comicInvites)
        .where(and(eq(comicInvites.id, parsed.id), isNull(comicInvites.revokedAt), gt(comicInvites.expiresAt, new Date())));
      if (!invite || !secretMatches(parsed.secret, invite.secretHash)) throw invalid;
      const granted = invite.role;
      const current = await roleOf(actor.user.id, invite.comicId);
      if (current && COMIC_ROLE_RANK[current] >= COMIC_ROLE_RANK[granted]) return { comicId: invite.comicId, role: current };
      await db
        .insert(comicMembers)
        .values({ comicId: invite.comicId, userId: actor.user.id, role: granted, invitedBy: invite.createdBy })
        .onConflictDoUpdate({ target: [comicMembers.comicId, comicMembers.userId], set: { role: granted } });
      await publishAccessChange({ comicId: invite.comicId, userId: actor.user.id, role: granted });
      const change = { before: current ? { username: actor.user.username, role: current } : undefined, after: { username: actor.user.username, role: granted } };
      await audited(actor, 'comic.invite_accepted', invite.comicId, change, client);
      await notifyInvited(actor.user.id, invite.comicId, granted, invite.createdBy ? await usernameOf(invite.createdBy) : null);
      return { comicId: invite.comicId, role: granted };
    },

    /** Who a user is on this comic, for the collab-server's connection check; 404 for non-members. */
    async access(userId: string, comicId: string) {
      const [row] = await db
        .select({ username: users.username, role: comicMembers.role, suspendedUntil: users.suspendedUntil })
        .from(comicMembers)
        .innerJoin(users, and(eq(users.id, comicMembers.userId), eq(users.isActive, true)))
        .where(and(eq(comicMembers.comicId, comicId), eq(comicMembers.userId, userId)));
      if (!row) throw notFound('Comic');
      // A suspended account reads the live canvas but does not change it.
      const suspended = row.suspendedUntil !== null && row.suspendedUntil > new Date();
      return { userId, username: row.username, role: suspended ? ('viewer' as const) : row.role };
    },
  };
}

export type ComicService = ReturnType<typeof createComicService>;
