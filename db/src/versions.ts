// Versions taken from what is stored: a comic's stored document and the summary stored beside it, copied
// by Postgres in one statement. The API takes named and publish versions this way, and the collab-server
// its automatic ones right after a store (the state and summary it just wrote, never derived again).
import { sql } from 'drizzle-orm';
import type { Database } from './client.ts';
import { type ComicVersionKind, comicDocuments, comicVersions, comics } from './schema.ts';

/** An empty Yjs document, encoded: the state of a comic nobody has drawn in yet. */
export const EMPTY_DOCUMENT_STATE = Buffer.from([0, 0]);

/**
 * Takes a version of the comic's stored document; its id, or undefined when there is no such comic. With
 * `keep`, only the newest `keep` versions of that kind stay: the older ones go in the same statement.
 */
export async function snapshotVersion(
  db: Pick<Database, 'execute'>,
  version: { comicId: string; kind: ComicVersionKind; name?: string | null; createdBy?: string | null; contributorIds?: string[]; keep?: number },
): Promise<string | undefined> {
  const contributors = sql`${`{${(version.contributorIds ?? []).join(',')}}`}::uuid[]`;
  const made = sql`
    insert into ${comicVersions} (comic_id, kind, name, state, summary, created_by, contributor_ids)
    select ${comics.id}, ${version.kind}, ${version.name ?? null}, coalesce(${comicDocuments.state}, ${EMPTY_DOCUMENT_STATE}), ${comics.panels}, ${version.createdBy ?? null}, ${contributors}
    from ${comics} left join ${comicDocuments} on ${comicDocuments.comicId} = ${comics.id}
    where ${comics.id} = ${version.comicId}
    returning id`;
  if (version.keep === undefined) {
    const [row] = await db.execute<{ id: string }>(made);
    return row?.id;
  }
  // The delete does not see the row the insert makes: of the older ones, `keep - 1` stay beside it.
  const [row] = await db.execute<{ id: string }>(sql`
    with made as (${made}),
    dropped as (
      delete from ${comicVersions} where id in (
        select id from ${comicVersions}
        where comic_id = ${version.comicId} and kind = ${version.kind} and exists (select from made)
        order by created_at desc, id desc
        offset ${Math.max(0, version.keep - 1)}
      )
    )
    select id from made`);
  return row?.id;
}
