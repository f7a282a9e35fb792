// Restoring a version: the live document's records become the version's, as one transaction of puts and
// deletes, so it reaches everyone as an ordinary change (and each person's undo of their own edits is kept).
import type { TLRecord } from '@tldraw/tlschema';
import * as Y from 'yjs';
import { migrateDoc, recordsOf } from './doc.ts';

/** Restores done, by the id of the version that kept the state before: what makes a retried restore a no-op. */
export const RESTORES_MAP = 'restores';

export function isRestored(doc: Y.Doc, beforeId: string): boolean {
  return doc.getMap(RESTORES_MAP).has(beforeId);
}

/** The records of an encoded document (a version's state), migrated to this code's schema. */
export function recordsOfState(state: Uint8Array): Map<string, TLRecord> {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  migrateDoc(doc);
  return new Map(recordsOf(doc).entries());
}

/**
 * Puts and removes records so that the document holds exactly `target`, and notes the restore under
 * `beforeId`. Records already equal are left alone. Returns how many records were put and removed.
 */
export function restoreRecords(doc: Y.Doc, target: ReadonlyMap<string, TLRecord>, beforeId: string): { put: number; removed: number } {
  migrateDoc(doc);
  const records = recordsOf(doc);
  let put = 0;
  let removed = 0;
  doc.transact(() => {
    for (const id of [...records.keys()]) {
      if (target.has(id)) continue;
      records.delete(id);
      removed++;
    }
    for (const [id, record] of target) {
      if (JSON.stringify(records.get(id)) === JSON.stringify(record)) continue;
      records.set(id, record);
      put++;
    }
    doc.getMap(RESTORES_MAP).set(beforeId, Date.now());
  });
  return { put, removed };
}
