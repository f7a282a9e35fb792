import { sql } from 'drizzle-orm';
import type { TestApp } from './helper.ts';

/**
 * A fingerprint of every table the application writes: its row count and a hash of its rows. Using a session
 * slides its expiry, so those two columns of the sessions table are left out.
 */
export async function dbState(db: TestApp['db']): Promise<Record<string, string>> {
  const tables = await db.execute<{ name: string }>(
    sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  );
  const parts = tables.map(({ name }) => {
    const row = name === 'user_sessions' ? sql`to_jsonb(t) - 'last_used_at' - 'expires_at'` : sql`to_jsonb(t)`;
    return sql`select ${name} as name, count(*) || ':' || coalesce(md5(string_agg(r::text, '|' order by r::text)), '') as state
               from (select ${row} as r from ${sql.identifier(name)} t) rows`;
  });
  const rows = await db.execute<{ name: string; state: string }>(sql.join(parts, sql` union all `));
  return Object.fromEntries(rows.map((r) => [r.name, r.state]));
}

/** The tables whose state differs between two fingerprints. */
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((name) => before[name] !== after[name]);
}
