// `npm run migrate`: create the database if needed and apply every pending migration.
import { migrateDatabase } from './migrate.ts';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/inkwell';
await migrateDatabase(url);
console.log(`database ${new URL(url).pathname.slice(1)} is up to date`);
