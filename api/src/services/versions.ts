// A comic's version history: named versions editors save, one on every publish, one before every restore,
// and the automatic ones the collab-server takes while the comic changes (collab-server/src/versions.ts).
// Versions made here snapshot the stored document: what the collab-server stored last, at most its store
// debounce (1 to 5 s) behind the live one. A restore's 'restore' version is written again by the
// collab-server from the live document just before it applies the restore, so a restore loses nothing.
import { and, count, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { ComicSummary, Database } from '@inkwell/db';
import { schema, snapshotVersion } from '@inkwell/db';
import { AppError, conflict, notFound } from '../errors.ts';
import { normalizeSummary } from '../lib/comic-summary.ts';
import { type PageRequest, paginate } from '../lib/pagination.ts';
import { DELETABLE_VERSION_KINDS, KEPT_VERSIONS_PER_KIND, MAX_NAMED_VERSIONS } from '../contract.ts';
import type { VersionChanges, VersionDetail, VersionItem } from '../versions-contract.ts';
import type { AuditService } from './audit.ts';
import type { ComicService } from './comics.ts';
import type { JobService } from './jobs.ts';
import type { Auth, ClientInfo } from './sessions.ts';

const { comics, comicVersions, users } = schema;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const itemColumns = {
  id: comicVersions.id,
  kind: comicVersions.kind,
  name: comicVersions.name,
  summary: comicVersions.summary,
  contributorIds: comicVersions.contributorIds,
  createdBy: comicVersions.createdBy,
  createdAt: comicVersions.createdAt,
};
type ItemRow = Omit<typeof comicVersions.$inferSelect, 'state' | 'comicId'>;

/** Panels by id, across pages. */
function panelsOf(summary: ComicSummary) {
  return new Map(summary.pages.flatMap((page) => page.panels.map((panel) => [panel.id, panel] as const)));
}

/** What changed from one summary to the next, panel by panel. */
export function changesBetween(before: ComicSummary | null, after: ComicSummary, previousId: string | null): VersionChanges {
  const old = panelsOf(before ?? { pages: [] });
  const now = panelsOf(after);
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const kept = [...now.keys()].filter((id) => old.has(id));
  return {
    previousId,
    panelsAdded: [...now.keys()].filter((id) => !old.has(id)),
    panelsRemoved: [...old.keys()].filter((id) => !now.has(id)),
    panelsRedrawn: kept.filter((id) => !same(old.get(id)!.images, now.get(id)!.images)),
    textChanged: kept.filter((id) => !same(old.get(id)!.text, now.get(id)!.text)),
  };
}

export function createVersionService(deps: {
  db: Database;
  comics: Pick<ComicService, 'requireRole'>;
  jobs: Pick<JobService, 'editComic'>;
  audit: Pick<AuditService, 'record'>;
}) {
  const { db } = deps;

  /** The rows with their people's names, as the contract has them. */
  async function present(rows: ItemRow[]): Promise<VersionItem[]> {
    const ids = [...new Set(rows.flatMap((row) => [...row.contributorIds, ...(row.createdBy ? [row.createdBy] : [])]))];
    const people = ids.length ? await db.select({ id: users.id, username: users.username }).from(users).where(inArray(users.id, ids)) : [];
    const byId = new Map(people.map((person) => [person.id, person]));
    return rows.map((row) => {
      const summary = normalizeSummary(row.summary);
      return {
        id: row.id,
        kind: row.kind,
        name: row.name,
        createdBy: row.createdBy ? (byId.get(row.createdBy) ?? null) : null,
        contributors: row.contributorIds.flatMap((id) => byId.get(id) ?? []),
        pages: summary.pages.length,
        panels: summary.pages.reduce((sum, page) => sum + page.panels.length, 0),
        createdAt: row.createdAt.toISOString(),
      };
    });
  }

  /** A named version, unless the comic has as many as it may keep. */
  async function saveNamed(comicId: string, createdBy: string, name: string): Promise<string | undefined> {
    return db.transaction(async (tx) => {
      // Saves of one comic take turns here, so that two at once cannot both pass the count.
      await tx.select({ id: comics.id }).from(comics).where(eq(comics.id, comicId)).for('no key update');
      const [named] = await tx
        .select({ n: count() })
        .from(comicVersions)
        .where(and(eq(comicVersions.comicId, comicId), eq(comicVersions.kind, 'named')));
      if (named!.n >= MAX_NAMED_VERSIONS) {
        throw conflict('too_many_versions', `A comic keeps at most ${MAX_NAMED_VERSIONS} named versions: delete one you no longer need, then save again`);
      }
      return snapshotVersion(tx, { comicId, kind: 'named', createdBy, name });
    });
  }

  async function findVersion(comicId: string, versionId: string): Promise<ItemRow> {
    const [row] = await db
      .select(itemColumns)
      .from(comicVersions)
      .where(and(eq(comicVersions.id, versionId), eq(comicVersions.comicId, comicId)));
    if (!row) throw notFound('Version');
    return row;
  }

  return {
    async list(actor: Auth, comicId: string, page: PageRequest) {
      await deps.comics.requireRole(actor, comicId, 'viewer');
      const where = eq(comicVersions.comicId, comicId);
      const { items, total } = await paginate(
        page,
        ({ limit, offset }) => db.select(itemColumns).from(comicVersions).where(where).orderBy(desc(comicVersions.createdAt), desc(comicVersions.id)).limit(limit).offset(offset),
        db.select({ total: count() }).from(comicVersions).where(where),
      );
      return { items: await present(items), total };
    },

    async get(actor: Auth, comicId: string, versionId: string): Promise<VersionDetail> {
      await deps.comics.requireRole(actor, comicId, 'viewer');
      const row = await findVersion(comicId, versionId);
      const [previous] = await db
        .select({ id: comicVersions.id, summary: comicVersions.summary })
        .from(comicVersions)
        .where(
          and(
            eq(comicVersions.comicId, comicId),
            or(lt(comicVersions.createdAt, row.createdAt), and(eq(comicVersions.createdAt, row.createdAt), lt(comicVersions.id, row.id))),
          ),
        )
        .orderBy(desc(comicVersions.createdAt), desc(comicVersions.id))
        .limit(1);
      const summary = normalizeSummary(row.summary);
      const [item] = await present([row]);
      return { ...item!, summary, changes: changesBetween(previous ? normalizeSummary(previous.summary) : null, summary, previous?.id ?? null) };
    },

    async save(actor: Auth, comicId: string, name: string): Promise<VersionItem> {
      await deps.comics.requireRole(actor, comicId, 'editor');
      const id = await saveNamed(comicId, actor.user.id, name);
      if (!id) throw notFound('Comic');
      const [item] = await present([await findVersion(comicId, id)]);
      return item!;
    },

    /** Deletes a named version or one taken before a restore (editors and owner). */
    async remove(actor: Auth, comicId: string, versionId: string, client: ClientInfo): Promise<void> {
      await deps.comics.requireRole(actor, comicId, 'editor');
      const version = await findVersion(comicId, versionId);
      if (!DELETABLE_VERSION_KINDS.includes(version.kind)) {
        throw conflict('version_kept', 'Automatic and published versions are kept by Inkwell: only named versions and those taken before a restore can be deleted');
      }
      const [removed] = await db.execute<{ title: string }>(sql`
        delete from ${comicVersions} using ${comics}
        where ${comicVersions.id} = ${versionId} and ${comicVersions.comicId} = ${comicId} and ${comics.id} = ${comicVersions.comicId}
        returning ${comics.title}`);
      if (!removed) throw notFound('Version');
      await deps.audit.record({
        actorId: actor.user.id,
        action: 'comic.version_deleted',
        resourceType: 'comic',
        resourceId: comicId,
        oldValues: { comic: removed.title, version: version.name ?? 'Before a restore', kind: version.kind, createdAt: version.createdAt.toISOString() },
        client,
      });
    },

    /**
     * Keeps the comic as it is in a 'restore' version, then asks the collab-server to make the comic's
     * records those of `versionId`: everyone with the comic open sees it as a change. Restoring the
     * 'restore' version undoes it.
     */
    async restore(actor: Auth, comicId: string, versionId: string): Promise<{ before: VersionItem }> {
      await deps.comics.requireRole(actor, comicId, 'editor');
      await findVersion(comicId, versionId);
      const beforeId = await snapshotVersion(db, { comicId, kind: 'restore', createdBy: actor.user.id, keep: KEPT_VERSIONS_PER_KIND });
      if (!beforeId) throw notFound('Comic');
      const before = await findVersion(comicId, beforeId);
      try {
        await deps.jobs.editComic({ kind: 'restore-version', comicId, versionId, beforeId: before.id, userId: actor.user.id });
      } catch {
        await db.delete(comicVersions).where(eq(comicVersions.id, before.id));
        throw new AppError(503, 'queue_unavailable', 'The comic cannot be restored right now: try again in a moment');
      }
      const [item] = await present([before]);
      return { before: item! };
    },

    /**
     * Thins automatic versions out with age: all of the last day stay, then the latest of each hour for a
     * week, then the latest of each day. Named, publish and restore versions are kept. Returns how many went.
     */
    async prune(now = new Date()): Promise<number> {
      const day = new Date(now.getTime() - DAY_MS).toISOString();
      const week = new Date(now.getTime() - 7 * DAY_MS).toISOString();
      const deleted = await db.execute<{ id: string }>(sql`
        delete from ${comicVersions} where ${comicVersions.id} in (
          select id from (
            select id, row_number() over (
              partition by comic_id, date_trunc(case when created_at < ${week}::timestamptz then 'day' else 'hour' end, created_at, 'UTC')
              order by created_at desc, id desc
            ) as n
            from ${comicVersions}
            where kind = 'auto' and created_at < ${day}::timestamptz
          ) ranked
          where n > 1
        )
        returning ${comicVersions.id}`);
      return deleted.length;
    },
  };
}

export type VersionService = ReturnType<typeof createVersionService>;
