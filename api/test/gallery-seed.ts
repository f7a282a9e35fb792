// Many published comics at once, straight into the database, for the gallery's index test and its bench.
// Their snapshots are what publishing stores, minus real images: the gallery never opens those.
import { sql } from 'drizzle-orm';
import type { Database } from '@inkwell/db';

/** Words of the seeded bubbles: comic `n` says three of them, so each word is in a few percent of comics. */
export const SEED_WORDS = [
  'lighthouse', 'dragon', 'robot', 'harbour', 'castle', 'forest', 'pirate', 'wizard', 'rocket', 'garden',
  'thunder', 'lantern', 'mirror', 'compass', 'volcano', 'glacier', 'desert', 'jungle', 'meadow', 'canyon',
  'subway', 'bakery', 'library', 'museum', 'circus', 'carnival', 'orchard', 'vineyard', 'monastery', 'fortress',
  'detective', 'pilgrim', 'sailor', 'knight', 'astronaut', 'gardener', 'blacksmith', 'merchant', 'scholar',
  'thief', 'anchor', 'balloon', 'bridge', 'cathedral', 'chimney', 'cliff', 'comet', 'crystal', 'dungeon',
  'eclipse', 'falcon', 'feather', 'fountain', 'galaxy', 'goblin', 'gondola', 'hammock', 'island', 'jaguar',
  'kettle', 'labyrinth', 'lagoon', 'marble', 'meteor', 'moth', 'nebula', 'oasis', 'octopus', 'owl', 'palace',
  'parrot', 'pebble', 'phantom', 'planet', 'quarry', 'raven', 'reef', 'saddle', 'scarecrow', 'shipwreck',
  'skyline', 'spider', 'storm', 'submarine', 'swamp', 'telescope', 'temple', 'tornado', 'tower', 'tunnel',
  'umbrella', 'valley', 'violin', 'waterfall', 'whale', 'windmill', 'zeppelin',
] as const;

/** Inserts `count` public published comics of the author, published a minute apart, with varied read counts. */
export async function seedPublishedComics(db: Database, opts: { authorId: string; author: string; count: number }): Promise<void> {
  const words = sql.raw(`array[${SEED_WORDS.map((w) => `'${w}'`).join(',')}]`);
  const n = SEED_WORDS.length;
  await db.execute(sql`
    insert into comics (user_id, title, is_published, privacy, published_at, published_from, read_count, published_snapshot)
    select ${opts.authorId}, 'Seeded ' || g, true, 'public', now() - g * interval '1 minute', now(), (g * 37) % 1000,
      jsonb_build_object(
        'id', gen_random_uuid(), 'title', 'Seeded comic ' || g, 'description', 'Generated for the gallery', 'author', ${opts.author}::text,
        'slug', 'seeded-comic-' || g, 'pages', '[]'::jsonb, 'altTexts', '{}'::jsonb, 'prompts', '{}'::jsonb,
        'cover', jsonb_build_object('key', 'seeded/cover.png', 'width', 1200, 'height', 900, 'pageIndex', 0),
        'summary', jsonb_build_object('pages', jsonb_build_array(jsonb_build_object(
          'id', 'page:1', 'name', 'Page 1', 'bounds', null,
          'panels', jsonb_build_array(jsonb_build_object(
            'id', 'shape:1', 'x', 0, 'y', 0, 'w', 400, 'h', 300, 'images', '[]'::jsonb, 'art', '[]'::jsonb, 'lettering', '[]'::jsonb,
            'text', jsonb_build_array(
              'The ' || (${words})[1 + g % ${n}] || ' was here before us',
              'Meet me by the ' || (${words})[1 + (g / ${n}) % ${n}] || ' and the ' || (${words})[1 + (g * 7 + 3) % ${n}])))))))
    from generate_series(1, ${opts.count}::int) as g`);
  // What autovacuum does soon after: merges the GIN index's pending list (scanned linearly until then) and
  // updates the planner's statistics.
  await db.execute(sql`vacuum analyze comics`);
}
