// Versions taken from what is stored: a comic's stored document and the summary stored beside it, copied
// by Postgres in one statement. The API takes named and publish versions this way, and the collab-server
// its automatic ones right after a store (the state and summary it just wrote, never derived again).
import { sql } from 'drizzle-orm';
import type { Database } from './client.ts';
import { type ComicVersionKind, comicDocuments, comicVersions, comics } from './schema.ts';

/** An empty Yjs document, encoded: the state of a comic nobody has drawn in yet. */
export const EMPTY_DOCUMENT_STATE = Buffer.from([0, 0]);

/** Takes a version of the comic's stored document; its id, or undefined when there is no such comic. */
export async function snapshotVersion(
  db: Database,
  version: { comicId: string; kind: ComicVersionKind; name?: string | null; createdBy?: string | null; contributorIds?: string[] },
): Promise<string | undefined> {
  const contributors = sql`${`{${(version.contributorIds ?? []).join(',')}}`}::uuid[]`;
  const [made] = await db.execute<{ id: string }>(sql`
    insert into ${comicVersions} (comic_id, kind, name, state, summary, created_by, contributor_ids)
    select ${comics.id}, ${version.kind}, ${version.name ?? null}, coalesce(${comicDocuments.state}, ${EMPTY_DOCUMENT_STATE}), ${comics.panels}, ${version.createdBy ?? null}, ${contributors}
    from ${comics} left join ${comicDocuments} on ${comicDocuments.comicId} = ${comics.id}
    where ${comics.id} = ${version.comicId}
    returning id`);
  return made?.id;
}
