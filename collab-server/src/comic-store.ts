// The only module that touches Postgres: a comic's encoded Yjs state in `comic_documents`, and what is
// derived from it on `comics` (the JSON summary, the thumbnail, the pictures it holds, the time of the last change).
import { eq, sql } from 'drizzle-orm';
import { type Database, schema } from '@inkwell/db';
import type { ComicSummary } from './model/index.ts';

const { comicDocuments, comics } = schema;

export interface StoredDocument {
  state: Uint8Array;
  /** Changes with every write; a writer that saw an older one has to merge first. */
  version: Date;
}

export interface DocumentWrite {
  state: Uint8Array;
  /**
   * Without it the summary and thumbnail stay as they were, and the pictures the document holds become
   * unknown (media usage then searches the document itself).
   */
  derived?: { panels: ComicSummary; thumbnailUrl: string | null; mediaIds: string[] };
}

export type SaveResult =
  | { status: 'saved'; version: Date }
  /** Someone else wrote since `expected`: merge this into the document and save again. */
  | { status: 'conflict'; stored: StoredDocument }
  /** The comic was deleted: there is nothing to keep. */
  | { status: 'gone' };

export interface ComicDocumentStore {
  load(comicId: string): Promise<StoredDocument | null>;
  save(comicId: string, write: DocumentWrite, expected: Date | null): Promise<SaveResult>;
}

export function createComicDocumentStore(db: Database): ComicDocumentStore {
  // Every document open reads it: built by drizzle once, parsed by Postgres once per connection. The state
  // comes as base64 rather than as bytea's hex text: a third fewer bytes to send and half the time to read
  // (a 10.6 MB comic: 150 ms against 297, medians of ten reads each).
  const stored = db
    .select({ state: sql<string>`encode(${comicDocuments.state}, 'base64')`, version: comicDocuments.updatedAt })
    .from(comicDocuments)
    .where(eq(comicDocuments.comicId, sql.placeholder('comicId')))
    .prepare('comic_document_load');

  return {
    async load(comicId) {
      const [row] = await stored.execute({ comicId });
      // A copy of its own, not a view into Node's shared pool of small buffers: the state may be kept a while.
      return row ? { state: new Uint8Array(Buffer.from(row.state, 'base64')), version: row.version } : null;
    },

    /**
     * One statement, one round trip (a store used to take six, with its transaction): it locks the comic's
     * row first, as deleting a comic does, so that writers of one comic queue there; writes the state only
     * when the stored version is still `expected` (none for a comic never stored); and moves the comic's
     * summary with it. When nothing was written, a second read tells a conflict from a deleted comic. Versions
     * compare to the millisecond, as a Date holds them: a row written elsewhere with Postgres' microseconds
     * could otherwise never be written over (every store a conflict, the document kept in memory for ever).
     */
    async save(comicId, write, expected) {
      // Strictly increasing, so that two writes never share a version: the write happens only on `expected`.
      const version = new Date(Math.max(Date.now(), (expected?.getTime() ?? 0) + 1));
      // As base64, decoded by Postgres: postgres.js would copy the state and send it as hex, twice its size,
      // all of it on the event loop (a 10.6 MB state: 85 ms of CPU, against 26 ms this way).
      const state = Buffer.from(write.state.buffer, write.state.byteOffset, write.state.byteLength).toString('base64');
      const summary = write.derived
        ? sql`, panels = ${sql.param(write.derived.panels, comics.panels)}, thumbnail_url = ${sql.param(write.derived.thumbnailUrl, comics.thumbnailUrl)}, media_ids = ${sql.param(write.derived.mediaIds, comics.mediaIds)}`
        : sql`, media_ids = null`;
      const saved = await db.execute(sql`
        with written as (
          insert into comic_documents (comic_id, state, updated_at)
          select id, decode(${state}, 'base64'), ${sql.param(version, comicDocuments.updatedAt)}
          from comics where id = ${comicId} for no key update
          on conflict (comic_id) do update set state = excluded.state, updated_at = excluded.updated_at
          where date_trunc('milliseconds', comic_documents.updated_at) is not distinct from ${expected === null ? null : sql.param(expected, comicDocuments.updatedAt)}
          returning comic_id
        )
        update comics set updated_at = ${sql.param(version, comics.updatedAt)}${summary}
        from written where comics.id = written.comic_id
        returning comics.id`);
      if (saved.length) return { status: 'saved', version };

      const [current] = await db
        .select({ state: comicDocuments.state, version: comicDocuments.updatedAt })
        .from(comics)
        .leftJoin(comicDocuments, eq(comicDocuments.comicId, comics.id))
        .where(eq(comics.id, comicId));
      if (!current) return { status: 'gone' };
      // Written by no one, yet not written here: a race with the comic's deletion; the store is retried.
      if (!current.state || !current.version) throw new Error(`the document of comic ${comicId} could not be written`);
      return { status: 'conflict', stored: { state: new Uint8Array(current.state), version: current.version } };
    },
  };
}
