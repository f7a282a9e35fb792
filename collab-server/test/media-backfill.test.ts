// The backfill of `comics.media_ids`, on a database of its own: it writes to every comic whose list is unknown,
// and the shared database holds other files' comics (one of them checks that a store leaves its list unknown).
import { randomBytes, randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { type DatabaseClient, createDatabaseClient, dropDatabase, migrateDatabase, schema } from '@inkwell/db';
import { backfillMediaIds } from '../src/media-backfill.ts';
import { layoutTemplate } from '../src/model/layouts.ts';
import { docWith, image, imageAsset, page, panel } from '../src/model/fixtures.ts';
import { type Summaries, createSummaries } from '../src/summaries.ts';

const url = new URL(process.env.DATABASE_URL!);
url.pathname = `${url.pathname}_backfill_${randomBytes(4).toString('hex')}`;
let database: DatabaseClient;
let summaries: Summaries;
let ownerId: string;

beforeAll(async () => {
  await migrateDatabase(url.toString());
  database = createDatabaseClient(url.toString(), { max: 2 });
  summaries = createSummaries();
  const [role] = await database.db.select({ id: schema.roles.id }).from(schema.roles).limit(1);
  const [owner] = await database.db
    .insert(schema.users)
    .values({ email: 'owner@example.com', username: 'owner', passwordHash: 'x', roleId: role!.id })
    .returning({ id: schema.users.id });
  ownerId = owner!.id;
});

afterAll(async () => {
  await summaries?.close();
  await database?.close();
  await dropDatabase(url.toString());
});

/** The state of a comic document showing these pictures of ours, loose on its page. */
function documentShowing(mediaIds: string[]): Uint8Array {
  const records = [page('p1', 'Page 1', 'a1'), panel('a', 'page:p1', 'a1', layoutTemplate('splash')[0]!)];
  mediaIds.forEach((id, i) => records.push(imageAsset(`m${i}`, `/api/v1/media/${id}/file`), image(`m${i}`, 'page:p1', `a${i + 2}`, `asset:m${i}`)));
  return Y.encodeStateAsUpdate(docWith(records));
}

/** A comic stored before its pictures were listed (media_ids null), or listed as `mediaIds`. */
async function comic(state: Uint8Array | null, mediaIds: string[] | null = null): Promise<string> {
  const [row] = await database.db.insert(schema.comics).values({ userId: ownerId, title: 'Older comic', mediaIds }).returning({ id: schema.comics.id });
  if (state) await database.db.insert(schema.comicDocuments).values({ comicId: row!.id, state: Buffer.from(state) });
  return row!.id;
}

const listOf = async (comicId: string) => (await database.db.select({ ids: schema.comics.mediaIds }).from(schema.comics).where(eq(schema.comics.id, comicId)))[0]!.ids;

describe('backfillMediaIds', () => {
  it('lists the pictures of unlisted comics only, across batches, and leaves unreadable ones unknown', async () => {
    const pictures = [randomUUID(), randomUUID(), randomUUID()];
    const unlisted = await Promise.all([comic(documentShowing(pictures.slice(0, 2))), comic(documentShowing([pictures[2]!])), comic(documentShowing([]))]);
    // Listed already: the list is the store's, not re-derived.
    const listed = await comic(documentShowing([pictures[0]!]), []);
    const unreadable = await comic(new Uint8Array([1, 2, 3, 250, 250]));
    const neverStored = await comic(null);

    const result = await backfillMediaIds({ db: database.db, summaries, batchSize: 2 });

    expect(result).toEqual({ listed: 3, unreadable: 1, changed: 0 });
    expect((await listOf(unlisted[0]!))?.sort()).toEqual(pictures.slice(0, 2).sort());
    expect(await listOf(unlisted[1]!)).toEqual([pictures[2]]);
    expect(await listOf(unlisted[2]!)).toEqual([]);
    expect(await listOf(listed)).toEqual([]);
    expect(await listOf(unreadable)).toBeNull();
    expect(await listOf(neverStored)).toBeNull();

    // A second pass finds only the unreadable one again, and changes nothing.
    expect(await backfillMediaIds({ db: database.db, summaries })).toEqual({ listed: 0, unreadable: 1, changed: 0 });
    await database.db.delete(schema.comics).where(eq(schema.comics.id, unreadable));
  });

  it('does not write a list for a document stored again while it was read', async () => {
    const comicId = await comic(documentShowing([randomUUID()]));
    // A store lands while the summary worker reads the old document; it chose to leave the list unknown.
    const storedMeanwhile: Pick<Summaries, 'derive'> = {
      async derive(state) {
        await database.db.execute(sql`update comic_documents set updated_at = now() + interval '1 second' where comic_id = ${comicId}`);
        return summaries.derive(state);
      },
    };

    expect(await backfillMediaIds({ db: database.db, summaries: storedMeanwhile })).toEqual({ listed: 0, unreadable: 0, changed: 1 });
    expect(await listOf(comicId)).toBeNull();
    // The next pass reads the new document.
    expect(await backfillMediaIds({ db: database.db, summaries })).toEqual({ listed: 1, unreadable: 0, changed: 0 });
  });

  it('stops when the server closes', async () => {
    const comicId = await comic(documentShowing([randomUUID()]));
    expect(await backfillMediaIds({ db: database.db, summaries, signal: AbortSignal.abort() })).toEqual({ listed: 0, unreadable: 0, changed: 0 });
    expect(await listOf(comicId)).toBeNull();
  });
});
