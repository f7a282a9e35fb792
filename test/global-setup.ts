// Runs once before the integration tests: a fresh test database, migrated like production.
import postgres from 'postgres';
import { migrateDatabase } from '@inkwell/db';

export default async function setup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/inkwell_test';
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  await sql.unsafe(`drop database if exists "${name.replaceAll('"', '""')}" with (force)`);
  await sql.end();
  await migrateDatabase(url);
}
