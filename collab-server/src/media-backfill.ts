// Lists the pictures of comics whose list is unknown (`comics.media_ids` is null): comics stored before
// migration 0007_comic_media, and stores whose summary could not be derived. "Which comics show this picture"
// (the API's media usage) has to search those comics' whole documents; once listed, an index answers. A few
// comics at a time, through the summary worker, so that live edits are not held back.
import { sql } from 'drizzle-orm';
import { type Database, schema } from '@inkwell/db';
import type { Summaries } from './summaries.ts';

const { comics, comicDocuments } = schema;

export interface BackfillResult {
  /** Comics whose list was written. */
  listed: number;
  /** Comics the summary worker could not read (written by a newer canvas, say): their lists stay unknown. */
  unreadable: number;
  /** Comics changed while they were read: the store that changed them wrote their list. */
  changed: number;
}

export async function backfillMediaIds(deps: {
  db: Database;
  summaries: Pick<Summaries, 'derive'>;
  /** Stops between comics: the server is shutting down. */
  signal?: AbortSignal;
  batchSize?: number;
}): Promise<BackfillResult> {
  const { db, summaries, signal, batchSize = 20 } = deps;
  const result: BackfillResult = { listed: 0, unreadable: 0, changed: 0 };
  // Comics in id order, each read once: an unreadable one stays unknown and is not read again in this pass.
  let after = '00000000-0000-0000-0000-000000000000';
  while (!signal?.aborted) {
    const batch = await db.execute<{ id: string; state: Buffer; version: string }>(sql`
      select c.id, d.state, d.updated_at::text as version
      from ${comics} c join ${comicDocuments} d on d.comic_id = c.id
      where c.media_ids is null and c.id > ${after}
      order by c.id limit ${batchSize}`);
    for (const row of batch) {
      if (signal?.aborted) break;
      after = row.id;
      const derived = await summaries.derive(new Uint8Array(row.state)).catch(() => null);
      if (!derived) {
        result.unreadable += 1;
        continue;
      }
      // Only the document that was read (its version as text: Postgres keeps microseconds, a Date does not). A
      // store since then wrote its own list, or chose to leave it unknown.
      const written = await db.execute(sql`
        update ${comics} set media_ids = ${sql.param(derived.mediaIds, comics.mediaIds)}
        where id = ${row.id} and media_ids is null
          and exists (select 1 from ${comicDocuments} d where d.comic_id = ${row.id} and d.updated_at = ${row.version}::timestamptz)
        returning id`);
      if (written.length) result.listed += 1;
      else result.changed += 1;
    }
    if (batch.length < batchSize) break;
  }
  return result;
}
