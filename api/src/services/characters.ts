import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Database } from '@inkwell/db';
import { schema } from '@inkwell/db';
import { type CastMember, castOf, findWorkflow, limitsFor } from '@inkwell/workflows';
import type { StyleLock } from '../characters-contract.ts';
import { AppError, conflict, notFound } from '../errors.ts';
import type { AuditService } from './audit.ts';
import type { ComicService } from './comics.ts';
import type { MediaService } from './media.ts';
import type { Auth, ClientInfo } from './sessions.ts';

const { comicCharacters, comics, jobs, media } = schema;

type CharacterRow = typeof comicCharacters.$inferSelect;

/** The comic-panel parameter each field of a style lock stands for. */
const LOCKED_PARAMS = { stylePreset: 'style', negativePrompt: 'negativePrompt', model: 'model' } as const;

const invalid = (message: string, path: string, detail: string) => new AppError(400, 'validation_error', message, [{ path, message: detail }]);

export function createCharacterService(deps: {
  db: Database;
  comics: Pick<ComicService, 'requireRole'>;
  media: Pick<MediaService, 'unusableImage'>;
  audit: AuditService;
}) {
  const { db } = deps;

  /** Each reference must be an image the caller may use, as for a job's input images. */
  async function checkReferences(actor: Auth, ids: readonly string[]) {
    for (const [index, id] of ids.entries()) {
      const refused = await deps.media.unusableImage(actor, id);
      if (refused) throw invalid(refused.message, `referenceMediaIds.${index}`, refused.detail);
    }
  }

  /**
   * The library is shared by the comic's members: the caller's own pictures that belong to no comic yet become
   * the comic's (as an upload into it would), so that every member sees them.
   */
  async function shareReferences(tx: Pick<Database, 'update'>, actor: Auth, comicId: string, ids: readonly string[]) {
    await tx
      .update(media)
      .set({ comicId })
      .where(and(inArray(media.id, [...ids]), eq(media.userId, actor.user.id), isNull(media.comicId)));
  }

  /** The name is unique per comic whatever its case: the unique index says so, and the caller is told. */
  async function naming<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      const constraint = (error as { cause?: { constraint_name?: string } }).cause?.constraint_name;
      if (constraint === 'idx_comic_characters_name') throw conflict('character_exists', `This comic already has a character called ${name}`);
      throw error;
    }
  }

  async function present(rows: CharacterRow[]) {
    const ids = [...new Set(rows.flatMap((row) => row.referenceMediaIds))];
    const found = ids.length
      ? await db.select({ id: media.id, thumbnailUrl: media.thumbnailUrl }).from(media).where(inArray(media.id, ids))
      : [];
    const byId = new Map(found.map((item) => [item.id, item]));
    return rows.map((row) => ({
      id: row.id,
      comicId: row.comicId,
      name: row.name,
      description: row.description,
      references: row.referenceMediaIds.flatMap((id) => {
        const item = byId.get(id);
        return item ? [{ id, url: `/api/v1/media/${id}/file`, thumbnailUrl: item.thumbnailUrl }] : [];
      }),
      createdBy: row.createdBy,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    }));
  }

  async function find(comicId: string, characterId: string): Promise<CharacterRow> {
    const [row] = await db.select().from(comicCharacters).where(and(eq(comicCharacters.id, characterId), eq(comicCharacters.comicId, comicId)));
    if (!row) throw notFound('Character');
    return row;
  }

  const audited = (row: Pick<CharacterRow, 'name' | 'description' | 'referenceMediaIds'>) => ({
    name: row.name,
    description: row.description,
    referenceMediaIds: row.referenceMediaIds,
  });

  /** The comic-panel parameters a lock sets, each checked as the workflow checks it (a lock may outlive a preset). */
  function lockedParams(lock: StyleLock): Record<string, unknown> {
    const shape = findWorkflow('comic-panel')!.params(limitsFor(1)).shape;
    const params: Record<string, unknown> = {};
    for (const [field, param] of Object.entries(LOCKED_PARAMS)) {
      const value = lock[field as keyof StyleLock];
      if (value === undefined) continue;
      const checked = shape[param]!.safeParse(value);
      if (!checked.success) throw invalid('This style lock cannot be used', field, checked.error.issues[0]?.message ?? 'Invalid value');
      params[param] = checked.data;
    }
    return params;
  }

  return {
    async list(actor: Auth, comicId: string) {
      await deps.comics.requireRole(actor, comicId, 'viewer');
      return present(await db.select().from(comicCharacters).where(eq(comicCharacters.comicId, comicId)).orderBy(comicCharacters.name));
    },

    async create(actor: Auth, comicId: string, input: { name: string; description: string; referenceMediaIds: string[] }, client: ClientInfo) {
      await deps.comics.requireRole(actor, comicId, 'editor');
      await checkReferences(actor, input.referenceMediaIds);
      const row = await naming(input.name, () =>
        db.transaction(async (tx) => {
          await shareReferences(tx, actor, comicId, input.referenceMediaIds);
          const [inserted] = await tx.insert(comicCharacters).values({ comicId, ...input, createdBy: actor.user.id }).returning();
          return inserted!;
        }),
      );
      await deps.audit.record({ actorId: actor.user.id, action: 'comic.character_created', resourceType: 'comic', resourceId: comicId, newValues: audited(row), client });
      return (await present([row]))[0]!;
    },

    async update(
      actor: Auth,
      comicId: string,
      characterId: string,
      change: { name?: string | undefined; description?: string | undefined; referenceMediaIds?: string[] | undefined },
      client: ClientInfo,
    ) {
      await deps.comics.requireRole(actor, comicId, 'editor');
      const before = await find(comicId, characterId);
      if (change.referenceMediaIds) await checkReferences(actor, change.referenceMediaIds);
      const row = await naming(change.name, () =>
        db.transaction(async (tx) => {
          if (change.referenceMediaIds) await shareReferences(tx, actor, comicId, change.referenceMediaIds);
          const [updated] = await tx
            .update(comicCharacters)
            .set({
              ...(change.name !== undefined && { name: change.name }),
              ...(change.description !== undefined && { description: change.description }),
              ...(change.referenceMediaIds && { referenceMediaIds: change.referenceMediaIds }),
              updatedAt: new Date(),
            })
            .where(eq(comicCharacters.id, characterId))
            .returning();
          return updated!;
        }),
      );
      const fields = (Object.keys(change) as (keyof typeof change)[]).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(row[key]));
      if (fields.length) {
        await deps.audit.record({
          actorId: actor.user.id,
          action: 'comic.character_updated',
          resourceType: 'comic',
          resourceId: comicId,
          oldValues: { name: before.name, ...Object.fromEntries(fields.map((key) => [key, before[key]])) },
          newValues: { name: row.name, ...Object.fromEntries(fields.map((key) => [key, row[key]])) },
          client,
        });
      }
      return (await present([row]))[0]!;
    },

    async remove(actor: Auth, comicId: string, characterId: string, client: ClientInfo): Promise<void> {
      await deps.comics.requireRole(actor, comicId, 'editor');
      const row = await find(comicId, characterId);
      await db.delete(comicCharacters).where(eq(comicCharacters.id, characterId));
      await deps.audit.record({ actorId: actor.user.id, action: 'comic.character_deleted', resourceType: 'comic', resourceId: comicId, oldValues: audited(row), client });
    },

    /** The characters a job aimed at this comic drew, as it recorded them: for the panel its picture landed in. */
    async castOfJob(actor: Auth, comicId: string, jobId: string) {
      await deps.comics.requireRole(actor, comicId, 'viewer');
      const [job] = await db.select({ parameters: jobs.parameters }).from(jobs).where(and(eq(jobs.id, jobId), eq(jobs.targetComicId, comicId)));
      if (!job) throw notFound('Job');
      return castOf(job.parameters).map(({ id, name }) => ({ id, name }));
    },

    async styleLock(actor: Auth, comicId: string): Promise<StyleLock> {
      await deps.comics.requireRole(actor, comicId, 'viewer');
      const [comic] = await db.select({ lock: comics.styleLock }).from(comics).where(eq(comics.id, comicId));
      return comic?.lock ?? {};
    },

    async setStyleLock(actor: Auth, comicId: string, lock: StyleLock, client: ClientInfo): Promise<StyleLock> {
      await deps.comics.requireRole(actor, comicId, 'editor');
      lockedParams(lock);
      const kept = Object.fromEntries(Object.entries(lock).filter(([, value]) => value !== undefined && value !== '')) as StyleLock;
      const [before] = await db.select({ lock: comics.styleLock }).from(comics).where(eq(comics.id, comicId));
      await db.update(comics).set({ styleLock: Object.keys(kept).length ? kept : null }).where(eq(comics.id, comicId));
      await deps.audit.record({ actorId: actor.user.id, action: 'comic.style_lock_changed', resourceType: 'comic', resourceId: comicId, oldValues: before?.lock ?? {}, newValues: kept, client });
      return kept;
    },

    /**
     * A panel job's parameters before validation: the comic's style lock fills what the request leaves out.
     * The job service has checked that the caller may edit the comic (the job would put a picture in it).
     */
    async withStyleLock(comicId: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
      const [comic] = await db.select({ lock: comics.styleLock }).from(comics).where(eq(comics.id, comicId));
      return { ...(comic?.lock ? lockedParams(comic.lock) : {}), ...params };
    },

    /**
     * The characters of the comic's library a panel job draws, with their descriptions and the reference
     * images the caller may use (what the job records in its parameters); an id of another comic is refused.
     */
    async cast(actor: Auth, comicId: string, ids: readonly string[]): Promise<CastMember[]> {
      const rows = ids.length ? await db.select().from(comicCharacters).where(and(eq(comicCharacters.comicId, comicId), inArray(comicCharacters.id, [...ids]))) : [];
      const cast: CastMember[] = [];
      for (const [index, id] of ids.entries()) {
        const path = `params.characters.${index}`;
        const row = rows.find((r) => r.id === id);
        if (!row) throw invalid('This character cannot be used', path, "Not a character of this comic's library");
        const usable = [];
        for (const mediaId of row.referenceMediaIds) {
          if (!(await deps.media.unusableImage(actor, mediaId))) usable.push(mediaId);
        }
        if (!usable.length) throw invalid(`${row.name} has no reference image left`, path, 'Add a reference image to this character first');
        cast.push({ id: row.id, name: row.name, description: row.description, referenceMediaIds: usable });
      }
      return cast;
    },
  };
}

export type CharacterService = ReturnType<typeof createCharacterService>;
