// Runs once before the integration tests: a fresh test database, migrated like production.
import { dropDatabase, migrateDatabase } from '@inkwell/db';

export default async function setup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/inkwell_test';
  await dropDatabase(url);
  await migrateDatabase(url);
}
