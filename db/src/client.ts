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
  return { db: drizzle(preparing(sql), { schema }), sql, close: () => sql.end({ timeout: 5 }) };
}

/**
 * `sql` for drizzle, with every query a prepared statement, as postgres.js' own queries are. drizzle runs its
 * queries through `unsafe(…, { prepare: false })` (drizzle-team/drizzle-orm#6096), and postgres.js sends an
 * unprepared query with parameters in two round trips, Parse and Describe first, then Bind and Execute. A
 * prepared one takes one round trip from its second use on that connection. Each connection keeps its
 * statements until postgres.js retires it (after 30 to 60 minutes).
 */
function preparing(sql: postgres.Sql): postgres.Sql {
  type Unsafe = postgres.Sql['unsafe'];
  type Scope = (inner: postgres.Sql) => unknown;
  // begin(options?, scope) and savepoint(name?, scope): the scope is the last argument, and gets a
  // transaction's `sql`, which must prepare too.
  const wrapScope =
    (method: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      const scope = args.pop() as Scope;
      return method(...args, (inner: postgres.Sql) => scope(preparing(inner)));
    };
  return new Proxy(sql, {
    get(target, property) {
      if (property === 'unsafe') {
        return ((query, parameters, queryOptions) => target.unsafe(query, parameters, { ...queryOptions, prepare: true })) as Unsafe;
      }
      if (property === 'begin' || property === 'savepoint') {
        const method = Reflect.get(target, property) as ((...args: unknown[]) => unknown) | undefined;
        return method && wrapScope(method.bind(target));
      }
      return Reflect.get(target, property);
    },
  });
}
