// Version history on the collab-server, which holds the live documents: who changed each comic since its
// last version, an automatic version after a store at most every AUTO_VERSION_SPACING_MS, and the
// restore-version edit (the live state kept first, then the version's records put back).
import type { Extension } from '@hocuspocus/server';
import { and, desc, eq } from 'drizzle-orm';
import * as Y from 'yjs';
import { type Database, schema, snapshotVersion } from '@inkwell/db';
import type { ComicEditJobData } from '@inkwell/workflows';
import { comicIdOf, documentNameOf } from './documents.ts';
import type { ConnectionContext } from './extensions/auth.ts';
import type { Logger } from './logger.ts';
import { type ComicSummary, readRecords, summarizeComic } from './model/index.ts';
import { isRestored, recordsOfState, restoreRecords } from './model/restore.ts';

const { comicVersions } = schema;

/** At most one automatic version of a comic this often while it changes (any version counts). */
export const AUTO_VERSION_SPACING_MS = 10 * 60_000;

type RestoreEdit = Extract<ComicEditJobData, { kind: 'restore-version' }>;

/** Runs a change on the comic's live document and resolves with its result once the change is stored. */
type InDocument = <T>(change: (doc: Y.Doc) => T) => Promise<T>;

interface Pending {
  /** Users whose connections changed the document since its last version. */
  contributors: Set<string>;
  /** No automatic version before this time: from the latest version in the database, once `known`. */
  notBefore: number;
  known?: Promise<void>;
}

export function createVersions(deps: { db: Database; logger: Logger }) {
  const { db, logger } = deps;
  // By document name. An unloaded document's contributors stay until its next version; the rest goes with it.
  const pending = new Map<string, Pending>();
  const pendingOf = (name: string) => {
    let entry = pending.get(name);
    if (!entry) pending.set(name, (entry = { contributors: new Set(), notBefore: 0 }));
    return entry;
  };

  function capture(doc: Y.Doc): { state: Buffer; summary: ComicSummary } {
    return { state: Buffer.from(Y.encodeStateAsUpdate(doc)), summary: summarizeComic(readRecords(doc)) };
  }

  /** Takes the contributors for a version: they are in it, and the next one starts afresh. */
  function takeContributors(name: string): string[] {
    const entry = pending.get(name);
    if (!entry) return [];
    const ids = [...entry.contributors];
    entry.contributors.clear();
    return ids;
  }

  async function latestVersionAt(comicId: string): Promise<number> {
    const [row] = await db
      .select({ at: comicVersions.createdAt })
      .from(comicVersions)
      .where(eq(comicVersions.comicId, comicId))
      .orderBy(desc(comicVersions.createdAt))
      .limit(1);
    return row?.at.getTime() ?? 0;
  }

  async function autoVersion(name: string, comicId: string): Promise<void> {
    const entry = pendingOf(name);
    entry.known ??= latestVersionAt(comicId).then(
      (at) => void (entry.notBefore = at + AUTO_VERSION_SPACING_MS),
      (error: unknown) => {
        entry.known = undefined;
        throw error;
      },
    );
    await entry.known;
    if (Date.now() < entry.notBefore || entry.contributors.size === 0) return;
    entry.notBefore = Date.now() + AUTO_VERSION_SPACING_MS;
    const contributorIds = takeContributors(name);
    // What the store that ran this just wrote, copied by Postgres: nothing is encoded or summarised here.
    await snapshotVersion(db, { comicId, kind: 'auto', contributorIds });
  }

  const extension: Extension<ConnectionContext> = {
    extensionName: 'versions',

    async onChange({ documentName, context }) {
      const userId = (context as Partial<ConnectionContext>).user?.id;
      if (userId) pendingOf(documentName).contributors.add(userId);
    },

    async afterStoreDocument({ documentName }) {
      const comicId = comicIdOf(documentName);
      if (!comicId || !pending.get(documentName)?.contributors.size) return;
      // Not awaited: the unload that follows the store need not wait for this.
      autoVersion(documentName, comicId).catch((error: unknown) =>
        logger.warn('automatic version not taken', { document: documentName, error: String(error) }),
      );
    },

    async afterUnloadDocument({ documentName }) {
      const entry = pending.get(documentName);
      if (!entry?.contributors.size) pending.delete(documentName);
      // Another instance may take versions while it is closed here: read the latest again when it reopens.
      else entry.known = undefined;
    },
  };

  /**
   * Restores a version: writes the live state into the 'restore' version `beforeId` (so the state just
   * before is what it keeps), then puts the version's records back as one change. A retried edit whose
   * restore is already in the document does nothing.
   */
  async function restore(edit: RestoreEdit, inDocument: InDocument): Promise<string> {
    const [target] = await db
      .select({ state: comicVersions.state })
      .from(comicVersions)
      .where(and(eq(comicVersions.id, edit.versionId), eq(comicVersions.comicId, edit.comicId)));
    if (!target) return 'version-missing';
    const records = recordsOfState(new Uint8Array(target.state));
    const name = documentNameOf(edit.comicId);
    const before = await inDocument((doc) => (isRestored(doc, edit.beforeId) ? null : capture(doc)));
    if (!before) return 'already-restored';
    // Changes arriving between this write and the restore below are in the document, not in this version.
    await db
      .update(comicVersions)
      .set({ ...before, contributorIds: takeContributors(name) })
      .where(and(eq(comicVersions.id, edit.beforeId), eq(comicVersions.comicId, edit.comicId)));
    const result = await inDocument((doc) => restoreRecords(doc, records, edit.beforeId));
    const entry = pendingOf(name);
    entry.contributors.add(edit.userId);
    entry.notBefore = Date.now() + AUTO_VERSION_SPACING_MS;
    logger.info('version restored', { comicId: edit.comicId, versionId: edit.versionId, ...result });
    return 'restored';
  }

  return { extension, restore };
}

export type Versions = ReturnType<typeof createVersions>;
