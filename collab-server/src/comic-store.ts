// The only module that touches Postgres: a comic's encoded Yjs state in `comic_documents`, and what is
// derived from it on `comics` (the JSON summary, the thumbnail, the time of the last change).
import { eq } from 'drizzle-orm';
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
  /** Left as they are when the summary could not be derived. */
  derived?: { panels: ComicSummary; thumbnailUrl: string | null };
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
  return {
    async load(comicId) {
      const [row] = await db
        .select({ state: comicDocuments.state, version: comicDocuments.updatedAt })
        .from(comicDocuments)
        .where(eq(comicDocuments.comicId, comicId));
      return row ? { state: new Uint8Array(row.state), version: row.version } : null;
    },

    async save(comicId, write, expected) {
      return db.transaction(async (tx): Promise<SaveResult> => {
        // Writers of one comic queue here, so the version check below cannot race.
        const [comic] = await tx.select({ id: comics.id }).from(comics).where(eq(comics.id, comicId)).for('no key update');
        if (!comic) return { status: 'gone' };
        const [current] = await tx
          .select({ version: comicDocuments.updatedAt })
          .from(comicDocuments)
          .where(eq(comicDocuments.comicId, comicId));
        if (current && current.version.getTime() !== expected?.getTime()) {
          const [stored] = await tx
            .select({ state: comicDocuments.state, version: comicDocuments.updatedAt })
            .from(comicDocuments)
            .where(eq(comicDocuments.comicId, comicId));
          return { status: 'conflict', stored: { state: new Uint8Array(stored!.state), version: stored!.version } };
        }
        // Strictly increasing, so that two writes never share a version.
        const version = new Date(Math.max(Date.now(), (current?.version.getTime() ?? 0) + 1));
        const state = Buffer.from(write.state);
        await tx
          .insert(comicDocuments)
          .values({ comicId, state, updatedAt: version })
          .onConflictDoUpdate({ target: comicDocuments.comicId, set: { state, updatedAt: version } });
        await tx
          .update(comics)
          .set({ updatedAt: version, ...(write.derived && { panels: write.derived.panels, thumbnailUrl: write.derived.thumbnailUrl }) })
          .where(eq(comics.id, comicId));
        return { status: 'saved', version };
      });
    },
  };
}
