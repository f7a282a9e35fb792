// Finding comics: the gallery of public published comics, its full-text search, and authors' profiles.
// Everything here reads the published snapshot's columns, never the live canvas.
import { type SQL, and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Database } from '@inkwell/db';
import { schema } from '@inkwell/db';
import type { GalleryComic } from '../contract.ts';
import { notFound } from '../errors.ts';
import { type PageRequest, paginate } from '../lib/pagination.ts';

const { comics, users } = schema;

/** The cover's widths in listings: a grid cell is small, 800 serves dense screens. */
const COVER_WIDTHS = [480, 800] as const;

export type GallerySort = 'recent' | 'popular';

export interface GalleryQuery extends PageRequest {
  q?: string | undefined;
  sort?: GallerySort | undefined;
}

/**
 * The one condition for "anyone may find this comic in listings": published, public (never unlisted or
 * private) and not hidden or removed by moderators. Every listing follows it.
 */
export function listedComic(): SQL {
  return and(eq(comics.isPublished, true), eq(comics.privacy, 'public'), eq(comics.moderationState, 'visible'))!;
}

/**
 * The search as a tsquery over `comics.search`: the English reading of the words (stemmed, stop words dropped,
 * as titles, descriptions and bubbles are indexed), or else their plain reading, as usernames are indexed
 * ("comics_fan" must not become "comic"). A search that leaves words out ("-storm") is read in English only:
 * in the plain reading "-storms" would not exclude what is indexed as "storm".
 */
function searchQuery(q: string): SQL {
  const english = sql`websearch_to_tsquery('english', ${q})`;
  return EXCLUSION.test(q) ? english : sql`(${english} || websearch_to_tsquery('simple', ${q}))`;
}
const EXCLUSION = /(^|\s)-\S/;

/** Descending as the gallery's indexes are (nulls last), so that a page is read from them in order. */
function last(column: AnyPgColumn): SQL {
  return sql`${column} desc nulls last`;
}

/**
 * The queries of one listing: the ids of a page (on the indexed columns alone) and the count of all matches.
 * Exported for the test that checks their plans.
 */
export function galleryListing(db: Database, query: GalleryQuery, authorId?: string) {
  const search = query.q ? searchQuery(query.q) : undefined;
  const where = and(listedComic(), search && sql`${comics.search} @@ ${search}`, authorId ? eq(comics.userId, authorId) : undefined);
  const newest = [last(comics.publishedAt), last(comics.id)];
  const order =
    query.sort === 'popular'
      ? [last(comics.readCount), ...newest]
      : search && !query.sort
        ? [desc(sql`ts_rank(${comics.search}, ${search})`), ...newest]
        : newest;
  return {
    page: ({ limit, offset }: { limit: number; offset: number }) =>
      db
        .select({ id: comics.id })
        .from(comics)
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
    count: db.select({ total: sql<number>`count(*)::int` }).from(comics).where(where),
  };
}

export function createGalleryService(deps: { db: Database }) {
  const { db } = deps;

  /**
   * One page of listed comics. The page's ids are found first and their published data read after, so that
   * a search never reads the large snapshots of every match to sort them.
   */
  async function list(query: GalleryQuery, authorId?: string) {
    const listing = galleryListing(db, query, authorId);
    const { items: ids, total } = await paginate(query, listing.page, listing.count);
    return { items: await itemsOf(ids.map((row) => row.id)), total };
  }

  /** The listed comics of these ids, in the order given. */
  async function itemsOf(ids: string[]): Promise<GalleryComic[]> {
    if (ids.length === 0) return [];
    const snapshot = comics.publishedSnapshot;
    const rows = await db
      .select({
        id: comics.id,
        title: sql<string>`${snapshot}->>'title'`,
        description: sql<string | null>`${snapshot}->>'description'`,
        author: users.username,
        snapshotId: sql<string>`${snapshot}->>'id'`,
        slug: sql<string>`${snapshot}->>'slug'`,
        coverWidth: sql<number>`(${snapshot}->'cover'->>'width')::int`,
        coverHeight: sql<number>`(${snapshot}->'cover'->>'height')::int`,
        publishedAt: comics.publishedAt,
        readCount: comics.readCount,
      })
      .from(comics)
      .innerJoin(users, eq(users.id, comics.userId))
      // Listed again: a comic unpublished between the two queries drops out rather than showing half.
      .where(and(inArray(comics.id, ids), listedComic()));
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      if (!row?.publishedAt) return [];
      const base = `/api/v1/read/${row.id}/images/${row.snapshotId}/cover`;
      return [
        {
          id: row.id,
          title: row.title,
          description: row.description,
          author: { username: row.author },
          cover: {
            url: `${base}?w=${COVER_WIDTHS[0]}`,
            srcset: COVER_WIDTHS.map((w) => `${base}?w=${w} ${w}w`).join(', '),
            width: row.coverWidth,
            height: row.coverHeight,
          },
          publishedAt: row.publishedAt.toISOString(),
          readCount: row.readCount,
          readerUrl: `/read/${row.id}/${row.slug}`,
        },
      ];
    });
  }

  return {
    /** Public published comics for anyone: searched (ranked by relevance unless a sort is asked), or the newest or most read. */
    gallery: (query: GalleryQuery) => list(query),

    /** An author's profile: their name, when they joined and their listed comics; never their email. Unknown names 404. */
    async profile(username: string, page: PageRequest) {
      const [author] = await db
        .select({ id: users.id, username: users.username, joinedAt: users.createdAt })
        .from(users)
        .where(eq(sql`lower(${users.username})`, username.toLowerCase()));
      if (!author) throw notFound('User');
      const { items, total } = await list(page, author.id);
      return { profile: { username: author.username, joinedAt: author.joinedAt.toISOString(), comics: items }, total };
    },
  };
}

export type GalleryService = ReturnType<typeof createGalleryService>;
