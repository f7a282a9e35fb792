import { fileURLToPath } from 'node:url';
import { sql as raw } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { createDatabaseClient } from './client.ts';
import { ROLES } from './permissions.ts';
import { roles } from './schema.ts';

const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));
/** Any constant shared by every process that migrates, so two services starting together take turns. */
const MIGRATION_LOCK = 7_340_001;

/** Runs `work` on a connection to the server's maintenance database, with the database name `url` gives. */
async function onServer(url: string, work: (sql: postgres.Sql, name: string) => Promise<unknown>): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  try {
    await work(sql, name);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Creates the database named in `url` when the server does not have it yet. */
export async function ensureDatabase(url: string): Promise<void> {
  await onServer(url, async (sql, name) => {
    const found = await sql`select 1 from pg_database where datname = ${name}`;
    if (found.length > 0) return;
    try {
      await sql.unsafe(`create database ${escapeIdentifier(name)}`);
    } catch (error) {
      // Another process created it between our check and our create.
      if ((error as { code?: string }).code !== '42P04') throw error;
    }
  });
}

/** Drops the database named in `url`, its open connections with it (the tests' and benches' own databases). */
export async function dropDatabase(url: string): Promise<void> {
  await onServer(url, (sql, name) => sql.unsafe(`drop database if exists ${escapeIdentifier(name)} with (force)`));
}

/** Creates the database if needed, applies pending migrations and upserts the five roles. */
export async function migrateDatabase(url: string): Promise<void> {
  await ensureDatabase(url);
  const client = createDatabaseClient(url, { max: 1 });
  try {
    await client.db.execute(raw`select pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await migrate(client.db, { migrationsFolder });
      await seedRoles(client.db);
    } finally {
      await client.db.execute(raw`select pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  } finally {
    await client.close();
  }
}

async function seedRoles(db: ReturnType<typeof createDatabaseClient>['db']): Promise<void> {
  for (const role of ROLES) {
    await db
      .insert(roles)
      .values({ name: role.name, level: role.level, description: role.description, permissions: [...role.permissions] })
      .onConflictDoUpdate({
        target: roles.name,
        set: { level: role.level, description: role.description, permissions: [...role.permissions] },
      });
  }
}

function escapeIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
