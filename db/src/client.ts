import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.ts';

export type Database = PostgresJsDatabase<typeof schema>;

export interface DatabaseClient {
  db: Database;
  sql: postgres.Sql;
  close(): Promise<void>;
}

export function createDatabaseClient(url: string, options: { max?: number } = {}): DatabaseClient {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // postgres.js connects on demand, but after failed attempts it holds each new query back for a growing
    // pause (up to 20 s): while Postgres is down every request would hang that long, and once it is back
    // the first ones still would. Half a second at most keeps failures prompt and recovery quick.
    backoff: (retries: number) => Math.min(0.1 * retries, 0.5),
    // An address that does not answer at all (rather than refusing) fails after this many seconds, not 30.
    connect_timeout: 5,
  });
  return { db: drizzle(sql, { schema }), sql, close: () => sql.end({ timeout: 5 }) };
}
