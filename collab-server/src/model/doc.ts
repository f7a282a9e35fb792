// The tldraw store inside a Yjs document: a Y.Map `records` (record id → plain JSON record) and a Y.Map
// `meta` whose `schema` is the serialized store schema the records were written with.
import type { SerializedSchema } from '@tldraw/store';
import type { TLRecord, TLStoreSnapshot } from '@tldraw/tlschema';
import type * as Y from 'yjs';
import { comicSchema, isCurrentSchema } from './schema.ts';

export const RECORDS_MAP = 'records';
export const META_MAP = 'meta';
export const SCHEMA_KEY = 'schema';

export function recordsOf(doc: Y.Doc): Y.Map<TLRecord> {
  return doc.getMap<TLRecord>(RECORDS_MAP);
}

export function metaOf(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap<unknown>(META_MAP);
}

export class DocumentMigrationError extends Error {}

/**
 * The document as a store snapshot, records as written (copies: the objects inside Yjs must never be
 * mutated). A document without a stored schema is new, and so at the current one.
 */
export function docToSnapshot(doc: Y.Doc): TLStoreSnapshot {
  const schema = (metaOf(doc).get(SCHEMA_KEY) as SerializedSchema | undefined) ?? comicSchema().serialize();
  return { store: structuredClone(recordsOf(doc).toJSON()) as TLStoreSnapshot['store'], schema };
}

/** Every record of the document, migrated to this code's schema. */
export function readRecords(doc: Y.Doc): TLRecord[] {
  const result = comicSchema().migrateStoreSnapshot(docToSnapshot(doc));
  if (result.type === 'error') throw new DocumentMigrationError(`cannot migrate the document: ${result.reason}`);
  return Object.values(result.value);
}

/**
 * Brings the records stored in the document up to this code's schema, writing back only what changed,
 * so that records written next (in the current shape) sit beside records of the same version.
 */
export function migrateDoc(doc: Y.Doc): void {
  // Every server-side edit asks: answered once per schema object, not by serializing both schemas each time.
  if (isCurrentSchema(metaOf(doc).get(SCHEMA_KEY) as SerializedSchema | undefined)) return;
  const migrated = new Map(readRecords(doc).map((record) => [record.id, record]));
  const records = recordsOf(doc);
  doc.transact(() => {
    for (const [id, before] of records.entries()) {
      const after = migrated.get(id as TLRecord['id']);
      if (!after) records.delete(id);
      else if (JSON.stringify(after) !== JSON.stringify(before)) records.set(id, after);
    }
    metaOf(doc).set(SCHEMA_KEY, comicSchema().serialize());
  });
}

/** Writes records as they are (already valid for the document's schema). */
export function putRecords(doc: Y.Doc, records: readonly TLRecord[]): void {
  const map = recordsOf(doc);
  doc.transact(() => {
    for (const record of records) map.set(record.id, record);
  });
}
