export { createDatabaseClient, type Database, type DatabaseClient } from './client.ts';
export { dropDatabase, ensureDatabase, migrateDatabase } from './migrate.ts';
export * from './permissions.ts';
export * as schema from './schema.ts';
export { EMPTY_DOCUMENT_STATE, snapshotVersion } from './versions.ts';
export type { ModerationSnapshot, ModerationState, Privacy, PublishedImage, ReportTargetType, PublishedSnapshot } from './schema.ts';
export type * from './comic-summary.ts';
