import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import { galleryListing } from '../src/services/gallery.ts';
import { seedPublishedComics } from './gallery-seed.ts';
import { type TestApp, type TestUser, createTestApp, expectError, registerUser } from './helper.ts';
import { storeSummary, summaryWith } from './published.ts';

let t: TestApp;
let storageDir: string;
let author: TestUser;

beforeAll(async () => {
  storageDir = await mkdtemp(join(tmpdir(), 'inkwell-gallery-'));
  t = await createTestApp({ storage: { driver: 'local', dir: storageDir } });
  author = await registerUser(t.app, 'creator', t.db);
});
afterAll(async () => {
  await t.close();
  await rm(storageDir, { recursive: true, force: true });
});

/** A word no other test's comic holds, so that each test searches its own comics only. */
function uniqueWord(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => String.fromCharCode(97 + (b % 26))).join('');
}

function get(url: string, user: TestUser | null = null) {
  return t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: user ? { cookie: user.cookie } : {} });
}

function post(user: TestUser, url: string, payload?: object) {
  return t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { cookie: user.cookie }, ...(payload && { payload }) });
}

/** A comic of `owner` with one page and a bubble, published as asked (or left unpublished). */
async function comic(owner: TestUser, opts: { title: string; bubble: string; description?: string; publish?: 'public' | 'unlisted' }) {
  const created = await post(owner, '/comics', { title: opts.title, ...(opts.description && { description: opts.description }) });
  const id: string = created.json().data.id;
  await storeSummary(t.db, id, summaryWith({ bubble: opts.bubble }));
  if (opts.publish) expect((await post(owner, `/comics/${id}/publish`, { visibility: opts.publish })).statusCode).toBe(200);
  return id;
}

/** The gallery's answer to a query string (written plainly: it is encoded here). */
async function gallery(query: string, user: TestUser | null = null) {
  const response = await get(`/gallery?${new URLSearchParams(query)}`, user);
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json();
  return { ids: body.data.map((item: { id: string }) => item.id) as string[], total: body.pagination.total as number, items: body.data as Record<string, unknown>[] };
}

describe('gallery', () => {
  it('lists public published comics only: never unlisted, private, unpublished, nor once unpublished', async () => {
    const word = uniqueWord();
    const listed = await comic(author, { title: `Listed ${word}`, bubble: word, publish: 'public' });
    const unlisted = await comic(author, { title: `Unlisted ${word}`, bubble: word, publish: 'unlisted' });
    const neverPublished = await comic(author, { title: `Draft ${word}`, bubble: word });
    const withdrawn = await comic(author, { title: `Withdrawn ${word}`, bubble: word, publish: 'public' });
    expect((await gallery(`q=${word}`)).ids.sort()).toEqual([listed, withdrawn].sort());
    expect((await post(author, `/comics/${withdrawn}/unpublish`)).statusCode).toBe(200);

    for (const user of [null, author]) {
      expect(await gallery(`q=${word}`, user)).toMatchObject({ ids: [listed], total: 1 });
      const everything = await gallery('limit=100', user);
      expect(everything.ids).toContain(listed);
      for (const hidden of [unlisted, neverPublished, withdrawn]) expect(everything.ids).not.toContain(hidden);
    }
    // An unlisted comic made public appears; a public one made unlisted goes.
    await post(author, `/comics/${unlisted}/publish`, { visibility: 'public' });
    await post(author, `/comics/${listed}/publish`, { visibility: 'unlisted' });
    expect((await gallery(`q=${word}`)).ids).toEqual([unlisted]);
  });

  it('describes each comic from its published snapshot: title, author, a small cover, read count, reader link', async () => {
    const word = uniqueWord();
    const id = await comic(author, { title: `<b>Bold</b> ${word}`, description: 'A keeper & a storm', bubble: 'Hello', publish: 'public' });
    await post(author, `/read/${id}/view`);
    const [item] = (await gallery(`q=${word}`)).items;
    expect(item).toEqual({
      id,
      title: `<b>Bold</b> ${word}`,
      description: 'A keeper & a storm',
      author: { username: author.username },
      cover: { url: expect.stringMatching(/\?w=480$/), srcset: expect.stringMatching(/ 480w, .+ 800w$/), width: 1200, height: expect.any(Number) },
      publishedAt: expect.any(String),
      readCount: 1,
      readerUrl: `/read/${id}/b-bold-b-${word}`,
    });
    const cover = await t.app.inject({ url: (item!.cover as { url: string }).url });
    expect(cover.statusCode).toBe(200);
    expect(cover.headers['content-type']).toBe('image/webp');
  });

  it('finds a comic by a word in a bubble, its title, its description or its author, from the snapshot only', async () => {
    const word = uniqueWord();
    const byBubble = await comic(author, { title: 'Untitled', bubble: `The gargoyles whisper ${word} at midnight`, publish: 'public' });
    const byTitle = await comic(author, { title: `Chronicles of ${word}`, bubble: 'Hi', publish: 'public' });
    const byDescription = await comic(author, { title: 'Other', description: `Set in ${word} city`, bubble: 'Hi', publish: 'public' });
    expect((await gallery(`q=${word}`)).ids.sort()).toEqual([byBubble, byTitle, byDescription].sort());
    // Stemmed like English: "gargoyle" finds "gargoyles", "chronicle" "Chronicles".
    expect((await gallery(`q=gargoyle ${word}`)).ids).toEqual([byBubble]);
    expect((await gallery(`q=chronicle ${word}`)).ids).toEqual([byTitle]);
    // Web search syntax: a quoted phrase, a word left out.
    expect((await gallery(`q=${encodeURIComponent(`"${word} city"`)}`)).ids).toEqual([byDescription]);
    expect((await gallery(`q=${word} -chronicles -gargoyles`)).ids).toEqual([byDescription]);

    // By author: a username that English would split and stem still matches as written.
    const writer = await registerUser(t.app, 'creator', t.db);
    const name = `ink_${uniqueWord()}_running`;
    await t.db.update(schema.users).set({ username: name }).where(eq(schema.users.id, writer.id));
    const byAuthor = await comic(writer, { title: 'Anything', bubble: 'Hi', publish: 'public' });
    expect((await gallery(`q=${name}`)).ids).toEqual([byAuthor]);

    // Words drawn on the canvas after publishing are not published, so not found; nor once published, the old ones.
    const later = uniqueWord();
    await storeSummary(t.db, byTitle, summaryWith({ bubble: later }));
    expect((await gallery(`q=${later}`)).ids).toEqual([]);
    await post(author, `/comics/${byTitle}/publish`, { visibility: 'public' });
    expect((await gallery(`q=${later}`)).ids).toEqual([byTitle]);
    // Stop words alone, and punctuation, match nothing and fail nothing.
    expect((await gallery(`q=${encodeURIComponent('the & | ! (')}`)).ids).toEqual([]);
  });

  it('ranks a search by relevance, or sorts it by recent or popular, as asked', async () => {
    const word = uniqueWord();
    const inBubble = await comic(author, { title: 'First', bubble: `A ${word} appears`, publish: 'public' });
    const inTitle = await comic(author, { title: `The ${word}`, bubble: 'Hi', publish: 'public' });
    const inBoth = await comic(author, { title: `Second`, description: `About a ${word}`, bubble: 'Hi', publish: 'public' });
    for (const [id, reads] of [[inBubble, 2], [inBoth, 1]] as const) {
      for (let n = 0; n < reads; n++) await post(author, `/read/${id}/view`);
    }
    // Title (weight A) before description (B) before bubble (C).
    expect((await gallery(`q=${word}`)).ids).toEqual([inTitle, inBoth, inBubble]);
    expect((await gallery(`q=${word}&sort=recent`)).ids).toEqual([inBoth, inTitle, inBubble]);
    expect((await gallery(`q=${word}&sort=popular`)).ids).toEqual([inBubble, inBoth, inTitle]);
    // Without a search: newest first, or most read first, across the whole gallery.
    const newest = (await gallery('limit=3')).ids;
    expect(newest[0]).toBe(inBoth);
    const popular = (await gallery('sort=popular&limit=100')).items.map((item) => item.readCount as number);
    expect(popular).toEqual([...popular].sort((a, b) => b - a));
  });

  it('pages through the results, and answers 400 in the standard shape for bad parameters', async () => {
    const word = uniqueWord();
    const ids = [];
    for (let n = 0; n < 5; n++) ids.push(await comic(author, { title: `Part ${n} ${word}`, bubble: 'Hi', publish: 'public' }));
    const pages = [];
    for (const page of [1, 2, 3]) pages.push(await gallery(`q=${word}&sort=recent&limit=2&page=${page}`));
    expect(pages.map((p) => p.ids)).toEqual([ids.slice(3).reverse(), ids.slice(1, 3).reverse(), ids.slice(0, 1)]);
    expect(pages.every((p) => p.total === 5)).toBe(true);
    expect((await gallery(`q=${word}&limit=2&page=4`)).ids).toEqual([]);

    for (const query of ['page=0', 'limit=0', 'limit=101', 'page=x', 'sort=oldest', `q=${'a'.repeat(201)}`, 'owner=me']) {
      expectError(await get(`/gallery?${query}`), 400);
    }
  });
});

describe('profiles', () => {
  it("show an author's name, joining date and public comics only, never their email; unknown names 404", async () => {
    const writer = await registerUser(t.app, 'creator', t.db);
    const word = uniqueWord();
    const listed = await comic(writer, { title: `Mine ${word}`, bubble: 'Hi', publish: 'public' });
    await comic(writer, { title: `Unlisted ${word}`, bubble: 'Hi', publish: 'unlisted' });
    await comic(writer, { title: `Draft ${word}`, bubble: 'Hi' });
    await comic(author, { title: `Someone else's ${word}`, bubble: 'Hi', publish: 'public' });

    for (const name of [writer.username, writer.username.toUpperCase()]) {
      const response = await get(`/profiles/${name}`);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.data).toMatchObject({ username: writer.username, joinedAt: expect.any(String) });
      expect(body.data.comics.map((c: { id: string }) => c.id)).toEqual([listed]);
      expect(body.pagination).toEqual({ page: 1, limit: 20, total: 1 });
      expect(response.body).not.toContain(writer.email);
      expect(response.body).not.toContain(writer.id);
    }
    expectError(await get(`/profiles/nobody${uniqueWord()}`), 404, 'not_found');
    expectError(await get(`/profiles/${writer.username}?limit=500`), 400);
  });
});

describe('search index', () => {
  it('over a few thousand published comics, searches use the GIN index and browsing reads pages in index order (plans, not timings)', async () => {
    const seeder = await registerUser(t.app, 'creator', t.db);
    await seedPublishedComics(t.db, { authorId: seeder.id, author: seeder.username, count: 3000 });
    try {
      // Searches that match well under a few percent of the comics: a word in many of them is rightly read by a scan.
      for (const query of [{ q: 'dragon castle' }, { q: 'pirate violin -forest', sort: 'recent' as const }, { q: '"seeded comic 1234"', sort: 'popular' as const }]) {
        const listing = galleryListing(t.db, { ...query, page: 1, limit: 20 });
        for (const statement of [listing.page({ limit: 20, offset: 0 }).toSQL(), listing.count.toSQL()]) {
          const plan = JSON.stringify(await explain(statement));
          expect(plan, `${query.q}: ${statement.sql}`).toMatch(/"Node Type":"Bitmap Index Scan"[^}]*"Index Name":"idx_comics_search"/);
        }
      }
      // Browsing reads a page straight from its index, in order, rather than sorting every published comic.
      for (const [sort, index] of [['recent', 'idx_comics_gallery'], ['popular', 'idx_comics_popular']] as const) {
        const plan = JSON.stringify(await explain(galleryListing(t.db, { sort, page: 3, limit: 20 }).page({ limit: 20, offset: 40 }).toSQL()));
        expect(plan, sort).toMatch(new RegExp(`"Node Type":"Index (Only )?Scan"[^}]*"Index Name":"${index}"`));
        expect(plan, sort).not.toMatch(/"Node Type":"Sort"/);
      }
    } finally {
      await t.db.delete(schema.comics).where(eq(schema.comics.userId, seeder.id));
    }
  });
});

/** The plan Postgres picks for a drizzle statement, as JSON. */
async function explain(statement: { sql: string; params: unknown[] }) {
  // Drizzle numbers its parameters $1, $2…; EXPLAIN takes them inlined as literals.
  const text = statement.sql.replace(/\$(\d+)/g, (_, n: string) => literal(statement.params[Number(n) - 1]));
  return t.db.execute(sql.raw(`explain (format json) ${text}`));
}

function literal(value: unknown): string {
  return typeof value === 'number' ? String(value) : `'${String(value).replaceAll("'", "''")}'`;
}
