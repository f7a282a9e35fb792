// Moderation: reports from readers, the moderators' queue and review feed, their actions (each with the state
// before and after, so that it can be undone), notes, appeals, suspensions, and the owners' notifications.
// Report details, appeal messages and notes are stored encrypted (lib/encryption.ts).
import { type SQL, and, count, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Database, ModerationSnapshot, ModerationState, ReportTargetType } from '@inkwell/db';
import { schema } from '@inkwell/db';
import type { ModerationActionName, OwnerModeration, ReportReason } from '../contract.ts';
import { badRequest, conflict, forbidden, notFound } from '../errors.ts';
import type { DataCipher } from '../lib/encryption.ts';
import { type PageRequest, paginate } from '../lib/pagination.ts';
import type { AuditService } from './audit.ts';
import type { ComicService } from './comics.ts';
import type { MediaService } from './media.ts';
import type { Notify } from './notifications.ts';
import type { Auth, ClientInfo, SessionService } from './sessions.ts';

const { appeals, comics, media, moderationActions, moderatorNotes, notifications, reports, users } = schema;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What each action makes of the target's state; dismiss and warn leave it as it is. */
const NEW_STATE: Partial<Record<ModerationActionName, ModerationState>> = { hide: 'hidden', remove: 'removed', restore: 'visible' };

export interface ReportInput {
  targetType: ReportTargetType;
  targetId: string;
  reason: ReportReason;
  details?: string | undefined;
}

export interface ActionInput {
  targetType: ReportTargetType;
  targetId: string;
  action: ModerationActionName;
  reason: string;
  rule?: ReportReason | undefined;
  reportIds?: string[] | undefined;
}

interface Target {
  type: ReportTargetType;
  id: string;
  exists: boolean;
  title: string | null;
  imageUrl: string | null;
  url: string | null;
  owner: { id: string; username: string } | null;
  moderation: ModerationSnapshot | null;
  suspendedUntil: string | null;
  publishedAt?: Date | null;
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

export function createModerationService(deps: {
  db: Database;
  cipher: DataCipher;
  audit: Pick<AuditService, 'record'>;
  comics: Pick<ComicService, 'get'>;
  media: Pick<MediaService, 'get'>;
  sessions: Pick<SessionService, 'forgetUser'>;
  /** Tells owners what moderators decided, and suspended users why. */
  notify: Notify;
  now?: () => Date;
}) {
  const { db, cipher, audit } = deps;
  const now = deps.now ?? (() => new Date());
  /** A value whose key is no longer configured (or that was tampered with) reads as a notice, not a failed page. */
  const decrypt = (value: string) => {
    try {
      return cipher.decrypt(value);
    } catch {
      return '[unreadable: the key it was encrypted with is not configured]';
    }
  };

  /** The targets of these ids, as moderators see them: published covers and thumbnails, never the editor. */
  async function targetsOf(type: ReportTargetType, ids: string[]): Promise<Map<string, Target>> {
    const found = new Map<string, Target>();
    if (ids.length === 0) return found;
    const base = { type, imageUrl: null, url: null, moderation: null, suspendedUntil: null, exists: true };
    if (type === 'comic') {
      const rows = await db
        .select({
          id: comics.id,
          snapshot: comics.publishedSnapshot,
          publishedAt: comics.publishedAt,
          ownerId: comics.userId,
          owner: users.username,
          state: comics.moderationState,
          rule: comics.moderationRule,
          reason: comics.moderationReason,
        })
        .from(comics)
        .innerJoin(users, eq(users.id, comics.userId))
        .where(inArray(comics.id, ids));
      for (const row of rows) {
        const snapshot = row.snapshot;
        found.set(row.id, {
          ...base,
          id: row.id,
          title: snapshot?.title ?? null,
          imageUrl: snapshot ? `/api/v1/read/${row.id}/images/${snapshot.id}/cover?w=480` : null,
          url: snapshot ? `/read/${row.id}/${snapshot.slug}` : null,
          owner: { id: row.ownerId, username: row.owner },
          moderation: { state: row.state, rule: row.rule, reason: row.reason },
          publishedAt: row.publishedAt,
        });
      }
    } else if (type === 'media') {
      const rows = await db
        .select({
          id: media.id,
          filename: media.originalFilename,
          createdAt: media.createdAt,
          ownerId: media.userId,
          owner: users.username,
          state: media.moderationState,
          rule: media.moderationRule,
          reason: media.moderationReason,
        })
        .from(media)
        .innerJoin(users, eq(users.id, media.userId))
        .where(inArray(media.id, ids));
      for (const row of rows) {
        found.set(row.id, {
          ...base,
          id: row.id,
          title: row.filename,
          imageUrl: `/api/v1/media/${row.id}/thumbnail`,
          url: `/media/${row.id}`,
          owner: { id: row.ownerId, username: row.owner },
          moderation: { state: row.state, rule: row.rule, reason: row.reason },
          publishedAt: row.createdAt,
        });
      }
    } else {
      const rows = await db
        .select({ id: users.id, username: users.username, suspendedUntil: users.suspendedUntil })
        .from(users)
        .where(inArray(users.id, ids));
      for (const row of rows) {
        found.set(row.id, { ...base, id: row.id, title: row.username, url: `/u/${row.username}`, owner: { id: row.id, username: row.username }, suspendedUntil: iso(row.suspendedUntil) });
      }
    }
    for (const id of ids) {
      if (!found.has(id)) found.set(id, { ...base, id, exists: false, title: null, owner: null });
    }
    return found;
  }

  async function targetOf(type: ReportTargetType, id: string): Promise<Target> {
    const target = (await targetsOf(type, [id])).get(id)!;
    if (!target.exists) throw notFound(type === 'comic' ? 'Comic' : type === 'media' ? 'Media' : 'User');
    return target;
  }

  function presentTarget(target: Target) {
    const { publishedAt: _publishedAt, ...rest } = target;
    return rest;
  }

  const targetIs = (table: { targetType: AnyPgColumn; targetId: AnyPgColumn }, type: ReportTargetType, id: string) =>
    and(eq(table.targetType, type), eq(table.targetId, id));

  async function reportsOf(condition: SQL | undefined) {
    const rows = await db.select().from(reports).where(condition).orderBy(desc(reports.updatedAt));
    return rows.map((row) => ({
      id: row.id,
      targetType: row.targetType,
      targetId: row.targetId,
      reason: row.reason as ReportReason,
      details: row.details === null ? null : decrypt(row.details),
      status: row.status,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    }));
  }

  async function historyOf(condition: SQL | undefined) {
    const rows = await db
      .select({ action: moderationActions, moderator: users.username })
      .from(moderationActions)
      .leftJoin(users, eq(users.id, moderationActions.moderatorId))
      .where(condition)
      .orderBy(desc(moderationActions.createdAt));
    return rows.map(({ action: a, moderator }) => ({
      targetType: a.targetType,
      targetId: a.targetId,
      item: {
        id: a.id,
        action: a.action,
        rule: a.rule,
        reason: a.reason,
        moderator,
        oldState: a.oldState,
        newState: a.newState,
        createdAt: a.createdAt.toISOString(),
        undoneAt: iso(a.undoneAt),
      },
    }));
  }

  async function appealsOf(condition: SQL | undefined) {
    const rows = await db
      .select({ appeal: appeals, targetType: moderationActions.targetType, targetId: moderationActions.targetId })
      .from(appeals)
      .innerJoin(moderationActions, eq(moderationActions.id, appeals.actionId))
      .where(condition)
      .orderBy(desc(appeals.createdAt));
    return rows.map(({ appeal, targetType, targetId }) => ({
      targetType,
      targetId,
      item: { id: appeal.id, actionId: appeal.actionId, message: decrypt(appeal.message), status: appeal.status, createdAt: appeal.createdAt.toISOString() },
    }));
  }

  /** Sets a comic's or picture's moderation columns. */
  async function setState(type: 'comic' | 'media', id: string, state: ModerationSnapshot): Promise<void> {
    const table = type === 'comic' ? comics : media;
    await db.update(table).set({ moderationState: state.state, moderationRule: state.rule, moderationReason: state.reason }).where(eq(table.id, id));
  }

  return {
    /**
     * Files (or, while it is open, updates) the caller's report of something they can see: a comic or picture
     * they may not see answers 404, as if it did not exist. The answer is their own report only.
     */
    async report(actor: Auth, input: ReportInput) {
      let targetId = input.targetId;
      if (input.targetType === 'comic') await deps.comics.get(actor, targetId);
      else if (input.targetType === 'media') await deps.media.get(actor, targetId);
      else {
        const named = UUID.test(targetId) ? eq(users.id, targetId) : eq(sql`lower(${users.username})`, targetId.toLowerCase());
        const [user] = await db.select({ id: users.id }).from(users).where(and(named, eq(users.isActive, true)));
        if (!user) throw notFound('User');
        if (user.id === actor.user.id) throw badRequest('cannot_report_self', 'You cannot report yourself');
        targetId = user.id;
      }
      const details = input.details ? cipher.encrypt(input.details) : null;
      const [row] = await db
        .insert(reports)
        .values({ reporterId: actor.user.id, targetType: input.targetType, targetId, reason: input.reason, details })
        .onConflictDoUpdate({
          target: [reports.reporterId, reports.targetType, reports.targetId],
          targetWhere: sql`${reports.status} = 'open'`,
          set: { reason: input.reason, details, updatedAt: now() },
        })
        .returning();
      return {
        id: row!.id,
        targetType: row!.targetType,
        // As the reporter named it: a user reported by name is not told their id (profiles never show it).
        targetId: input.targetId,
        reason: row!.reason as ReportReason,
        status: row!.status,
        createdAt: row!.createdAt.toISOString(),
        updatedAt: row!.updatedAt.toISOString(),
      };
    },

    /**
     * The queue: reported targets (and, for open, targets with an open appeal), most recently reported first,
     * each with its reports, counts by reason, first and last report time, history and open appeals.
     */
    async queue(query: PageRequest & { status: 'open' | 'resolved'; targetType?: ReportTargetType | undefined }) {
      const typeFilter = query.targetType ? sql`and target_type = ${query.targetType}` : sql``;
      const appealed =
        query.status === 'open'
          ? sql`union select ma.target_type, ma.target_id from appeals a join moderation_actions ma on ma.id = a.action_id
                where a.status = 'open' ${query.targetType ? sql`and ma.target_type = ${query.targetType}` : sql``}`
          : sql``;
      const targets = sql`select target_type, target_id from reports where status = ${query.status} ${typeFilter} ${appealed}`;
      const { items, total } = await paginate(
        query,
        ({ limit, offset }) =>
          db.execute<{ target_type: ReportTargetType; target_id: string }>(sql`
            select t.target_type, t.target_id from (${targets}) t
            left join lateral (select max(r.updated_at) as last from reports r
                               where r.target_type = t.target_type and r.target_id = t.target_id and r.status = ${query.status}) r on true
            order by r.last desc nulls first, t.target_id limit ${limit} offset ${offset}`),
        db.execute<{ total: number }>(sql`select count(*)::int as total from (${targets}) t`),
      );
      const groups = await Promise.all(
        items.map(async ({ target_type: type, target_id: id }) => {
          const [target, groupReports, history, openAppeals] = await Promise.all([
            targetsOf(type, [id]).then((found) => found.get(id)!),
            reportsOf(and(targetIs(reports, type, id), eq(reports.status, query.status))),
            historyOf(targetIs(moderationActions, type, id)),
            appealsOf(and(targetIs(moderationActions, type, id), eq(appeals.status, 'open'))),
          ]);
          const reasons: Record<string, number> = {};
          for (const report of groupReports) reasons[report.reason] = (reasons[report.reason] ?? 0) + 1;
          const times = groupReports.flatMap((r) => [r.createdAt, r.updatedAt]).sort();
          return {
            target: presentTarget(target),
            reportCount: groupReports.length,
            reasons,
            firstReportedAt: times[0] ?? null,
            lastReportedAt: times.at(-1) ?? null,
            reports: groupReports.map(({ targetType: _t, targetId: _i, ...report }) => report),
            history: history.map((h) => h.item),
            appeals: openAppeals.map((a) => a.item),
          };
        }),
      );
      return { items: groups, total };
    },

    /** Newly published comics and newly uploaded public pictures that no moderator has acted on since, newest first. */
    async reviewFeed(page: PageRequest) {
      const unreviewed = (type: string, id: SQL, since: SQL) =>
        sql`not exists (select 1 from moderation_actions ma where ma.target_type = ${type} and ma.target_id = ${id} and ma.created_at >= ${since})`;
      const feed = sql`
        select 'comic' as type, id, published_at as at from comics
          where is_published and moderation_state = 'visible' and ${unreviewed('comic', sql`comics.id`, sql`comics.published_at`)}
        union all
        select 'media', id, created_at from media
          where privacy = 'public' and moderation_state = 'visible' and ${unreviewed('media', sql`media.id`, sql`media.created_at`)}`;
      const { items, total } = await paginate(
        page,
        ({ limit, offset }) =>
          db.execute<{ type: 'comic' | 'media'; id: string; at: string }>(sql`select * from (${feed}) f order by at desc, id limit ${limit} offset ${offset}`),
        db.execute<{ total: number }>(sql`select count(*)::int as total from (${feed}) f`),
      );
      const [comicTargets, mediaTargets] = await Promise.all([
        targetsOf('comic', items.filter((i) => i.type === 'comic').map((i) => i.id)),
        targetsOf('media', items.filter((i) => i.type === 'media').map((i) => i.id)),
      ]);
      return {
        items: items.map((item) => {
          const target = (item.type === 'comic' ? comicTargets : mediaTargets).get(item.id)!;
          return { target: presentTarget(target), publishedAt: new Date(item.at).toISOString() };
        }),
        total,
      };
    },

    /** Everything moderators know of one target: reports (all), history, notes and appeals. */
    async target(type: ReportTargetType, id: string) {
      const target = await targetOf(type, id);
      const [targetReports, history, appealList, notes] = await Promise.all([
        reportsOf(targetIs(reports, type, id)),
        historyOf(targetIs(moderationActions, type, id)),
        appealsOf(targetIs(moderationActions, type, id)),
        db
          .select({ note: moderatorNotes, author: users.username })
          .from(moderatorNotes)
          .leftJoin(users, eq(users.id, moderatorNotes.authorId))
          .where(targetIs(moderatorNotes, type, id))
          .orderBy(desc(moderatorNotes.createdAt)),
      ]);
      return {
        target: presentTarget(target),
        reports: targetReports.map(({ targetType: _t, targetId: _i, ...report }) => report),
        history: history.map((h) => h.item),
        appeals: appealList.map((a) => a.item),
        notes: notes.map(({ note, author }) => ({ id: note.id, author, body: decrypt(note.body), createdAt: note.createdAt.toISOString() })),
      };
    },

    async addNote(actor: Auth, type: ReportTargetType, id: string, body: string) {
      await targetOf(type, id);
      const [note] = await db.insert(moderatorNotes).values({ targetType: type, targetId: id, authorId: actor.user.id, body: cipher.encrypt(body) }).returning();
      return { id: note!.id, author: actor.user.username, body, createdAt: note!.createdAt.toISOString() };
    },

    /**
     * Acts on a target: changes its state (hide, remove, restore), resolves the reports it names (all open ones
     * when none are named), closes open appeals against it, tells the owner (but for dismiss) and audits it.
     */
    async act(actor: Auth, input: ActionInput, client: ClientInfo) {
      const target = await targetOf(input.targetType, input.targetId);
      const newStateName = NEW_STATE[input.action];
      if (input.targetType === 'user' && newStateName) {
        throw badRequest('invalid_action', 'Users are warned or suspended, not hidden, removed or restored');
      }
      if (target.owner?.id === actor.user.id && input.action !== 'dismiss') throw forbidden('You cannot moderate your own content');
      const oldState = target.moderation;
      const newState = oldState && newStateName ? { state: newStateName, rule: newStateName === 'visible' ? null : (input.rule ?? null), reason: newStateName === 'visible' ? null : input.reason } : oldState;

      const action = await db.transaction(async (tx) => {
        const [row] = await tx
          .insert(moderationActions)
          .values({
            targetType: input.targetType,
            targetId: input.targetId,
            action: input.action,
            rule: input.rule ?? null,
            reason: input.reason,
            moderatorId: actor.user.id,
            oldState,
            newState,
          })
          .returning();
        if (newState && newStateName && input.targetType !== 'user') {
          const table = input.targetType === 'comic' ? comics : media;
          await tx.update(table).set({ moderationState: newState.state, moderationRule: newState.rule, moderationReason: newState.reason }).where(eq(table.id, input.targetId));
        }
        const named = input.reportIds ? inArray(reports.id, input.reportIds.length ? input.reportIds : [crypto.randomUUID()]) : undefined;
        await tx
          .update(reports)
          .set({ status: 'resolved', resolvedBy: actor.user.id, resolvedAt: now(), actionId: row!.id })
          .where(and(targetIs(reports, input.targetType, input.targetId), eq(reports.status, 'open'), named));
        const against = tx.select({ id: moderationActions.id }).from(moderationActions).where(targetIs(moderationActions, input.targetType, input.targetId));
        await tx.update(appeals).set({ status: 'closed', closedAt: now() }).where(and(eq(appeals.status, 'open'), inArray(appeals.actionId, against)));
        return row!;
      });

      if (target.owner && input.action !== 'dismiss') {
        await deps.notify([target.owner.id], 'moderation', {
          actionId: action.id,
          action: input.action,
          targetType: input.targetType,
          targetId: input.targetId,
          title: target.title,
          rule: input.rule ?? null,
          reason: input.reason,
        });
      }
      await audit.record({
        actorId: actor.user.id,
        action: `moderation.${input.action}`,
        resourceType: input.targetType,
        resourceId: input.targetId,
        oldValues: oldState,
        newValues: { ...newState, actionId: action.id },
        client,
      });
      return (await historyOf(eq(moderationActions.id, action.id)))[0]!.item;
    },

    /**
     * Undoes an action: the target goes back to the state before it, the reports it resolved open again (unless
     * their reporter has opened a newer one), and the undoing is audited. Only the latest action on a target
     * that changed its state can be undone, so that an older undo never overwrites a newer decision.
     */
    async undo(actor: Auth, actionId: string, client: ClientInfo) {
      const [action] = await db.select().from(moderationActions).where(eq(moderationActions.id, actionId));
      if (!action) throw notFound('Action');
      if (action.undoneAt) throw conflict('already_undone', 'This action was undone already');
      const [later] = await db
        .select({ id: moderationActions.id })
        .from(moderationActions)
        // Compared in SQL: a JavaScript Date drops the microseconds, and the action would count as later than itself.
        .where(
          and(
            targetIs(moderationActions, action.targetType, action.targetId),
            sql`${moderationActions.createdAt} > (select created_at from moderation_actions where id = ${actionId})`,
            isNull(moderationActions.undoneAt),
          ),
        );
      if (later) throw conflict('not_latest', 'A later action on this target must be undone first');
      await db.transaction(async (tx) => {
        await tx.update(moderationActions).set({ undoneAt: now(), undoneBy: actor.user.id }).where(eq(moderationActions.id, actionId));
        await tx
          .update(reports)
          .set({ status: 'open', resolvedBy: null, resolvedAt: null, actionId: null })
          .where(
            and(
              eq(reports.actionId, actionId),
              sql`not exists (select 1 from reports newer where newer.reporter_id = ${reports.reporterId} and newer.target_type = ${reports.targetType}
                             and newer.target_id = ${reports.targetId} and newer.status = 'open')`,
            ),
          );
      });
      if (action.oldState && action.targetType !== 'user') await setState(action.targetType, action.targetId, action.oldState);
      await audit.record({
        actorId: actor.user.id,
        action: 'moderation.undone',
        resourceType: action.targetType,
        resourceId: action.targetId,
        oldValues: { ...action.newState, actionId },
        newValues: action.oldState,
        client,
      });
      return (await historyOf(eq(moderationActions.id, actionId)))[0]!.item;
    },

    /** Suspends (until a time) or lifts a suspension; the user keeps signing in and reading. Below one's own level only. */
    async suspend(actor: Auth, userId: string, change: { until: Date; reason: string } | null, client: ClientInfo) {
      if (userId === actor.user.id) throw forbidden('You cannot suspend yourself');
      const [user] = await db
        .select({ id: users.id, level: schema.roles.level, until: users.suspendedUntil, reason: users.suspensionReason })
        .from(users)
        .innerJoin(schema.roles, eq(schema.roles.id, users.roleId))
        .where(eq(users.id, userId));
      if (!user) throw notFound('User');
      if (user.level >= actor.user.role.level) throw forbidden('You can only suspend users below your own role');
      if (change && change.until <= now()) throw badRequest('invalid_until', 'A suspension ends in the future');
      await db.update(users).set({ suspendedUntil: change?.until ?? null, suspensionReason: change?.reason ?? null, updatedAt: now() }).where(eq(users.id, userId));
      await deps.sessions.forgetUser(userId);
      if (change) await deps.notify([userId], 'suspension', { until: change.until.toISOString(), reason: change.reason });
      await audit.record({
        actorId: actor.user.id,
        action: change ? 'user.suspended' : 'user.unsuspended',
        resourceType: 'user',
        resourceId: userId,
        oldValues: { suspendedUntil: iso(user.until), reason: user.reason },
        newValues: { suspendedUntil: change?.until.toISOString() ?? null, reason: change?.reason ?? null },
        client,
      });
      return { userId, suspendedUntil: change?.until.toISOString() ?? null, reason: change?.reason ?? null };
    },

    /** The owner's one appeal against an action on their comic or picture (or against a warning). */
    async appeal(actor: Auth, input: { actionId: string; message: string }) {
      const [action] = await db.select().from(moderationActions).where(eq(moderationActions.id, input.actionId));
      const target = action && (await targetsOf(action.targetType, [action.targetId])).get(action.targetId);
      if (!action || target?.owner?.id !== actor.user.id || action.action === 'dismiss') throw notFound('Action');
      if (action.undoneAt) throw conflict('action_undone', 'This action was undone: there is nothing to appeal');
      const [row] = await db
        .insert(appeals)
        .values({ actionId: action.id, userId: actor.user.id, message: cipher.encrypt(input.message) })
        .onConflictDoNothing({ target: appeals.actionId })
        .returning();
      if (!row) throw conflict('already_appealed', 'You have appealed against this action already: one appeal per action');
      return { id: row.id, actionId: row.actionId, message: input.message, status: row.status, createdAt: row.createdAt.toISOString() };
    },

    /** What the owner of a comic is told about it: its state, rule and reason, the latest action and their appeal. */
    async ownerView(type: 'comic' | 'media', id: string): Promise<OwnerModeration | null> {
      const target = (await targetsOf(type, [id])).get(id);
      const [latest] = await db
        .select({
          id: moderationActions.id,
          action: moderationActions.action,
          rule: moderationActions.rule,
          reason: moderationActions.reason,
          appealStatus: appeals.status,
          appealedAt: appeals.createdAt,
        })
        .from(moderationActions)
        .leftJoin(appeals, eq(appeals.actionId, moderationActions.id))
        .where(and(targetIs(moderationActions, type, id), isNull(moderationActions.undoneAt), sql`${moderationActions.action} <> 'dismiss'`))
        .orderBy(desc(moderationActions.createdAt))
        .limit(1);
      // Nothing to tell of a visible comic, but a warning.
      if (!target?.moderation || (target.moderation.state === 'visible' && latest?.action !== 'warn')) return null;
      const warned = target.moderation.state === 'visible' && latest;
      return {
        ...target.moderation,
        ...(warned && { rule: warned.rule, reason: warned.reason }),
        actionId: latest?.id ?? null,
        appeal: latest?.appealStatus && latest.appealedAt ? { status: latest.appealStatus, createdAt: latest.appealedAt.toISOString() } : null,
      };
    },

    async notifications(actor: Auth, page: PageRequest & { unread?: 'true' | 'false' | undefined }) {
      const mine = and(eq(notifications.userId, actor.user.id), page.unread === 'true' ? isNull(notifications.readAt) : undefined);
      const { items, total } = await paginate(
        page,
        ({ limit, offset }) => db.select().from(notifications).where(mine).orderBy(desc(notifications.createdAt)).limit(limit).offset(offset),
        db.select({ total: count() }).from(notifications).where(mine),
      );
      return {
        items: items.map((n) => ({ id: n.id, kind: n.kind, payload: n.payload, readAt: iso(n.readAt), createdAt: n.createdAt.toISOString() })),
        total,
      };
    },

    /** Marks the caller's notifications read: those named, or all. Returns how many changed. */
    async markRead(actor: Auth, ids?: string[]) {
      const changed = await db
        .update(notifications)
        .set({ readAt: now() })
        .where(and(eq(notifications.userId, actor.user.id), isNull(notifications.readAt), ids ? inArray(notifications.id, ids.length ? ids : [crypto.randomUUID()]) : undefined))
        .returning({ id: notifications.id });
      return { marked: changed.length };
    },

    /** For the admin home: the median time from a target's first report to the first action after it, and open work. */
    async stats() {
      const [row] = await db.execute<{ median: number | null; acted: number; open_reports: number; open_appeals: number }>(sql`
        with firsts as (
          select target_type, target_id, min(created_at) as first_report from reports group by target_type, target_id
        ), acted as (
          select f.first_report, (select min(ma.created_at) from moderation_actions ma
                                  where ma.target_type = f.target_type and ma.target_id = f.target_id and ma.created_at >= f.first_report) as first_action
          from firsts f
        )
        select (select percentile_cont(0.5) within group (order by extract(epoch from first_action - first_report)) from acted where first_action is not null)::float8 as median,
               (select count(*) from acted where first_action is not null)::int as acted,
               (select count(*) from reports where status = 'open')::int as open_reports,
               (select count(*) from appeals where status = 'open')::int as open_appeals`);
      return {
        medianSecondsToFirstAction: row?.median ?? null,
        actedTargets: row?.acted ?? 0,
        openReports: row?.open_reports ?? 0,
        openAppeals: row?.open_appeals ?? 0,
      };
    },
  };
}

export type ModerationService = ReturnType<typeof createModerationService>;

