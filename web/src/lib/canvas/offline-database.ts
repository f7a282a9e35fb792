// The IndexedDB database of changes not yet confirmed by the server (see offline-edits.ts). Kept apart, and
// free of Yjs, so that signing out can clear it from any page without loading the canvas.
import { type DBSchema, type IDBPDatabase, deleteDB, openDB } from 'idb';

const DATABASE = 'inkwell-offline-edits';

interface OfflineEditsSchema extends DBSchema {
  updates: {
    key: number;
    value: { userId: string; comicId: string; update: Uint8Array };
    indexes: { comic: [string, string] };
  };
}
export type OfflineEditsDatabase = IDBPDatabase<OfflineEditsSchema>;

export function openOfflineEdits(): Promise<OfflineEditsDatabase> {
  return openDB<OfflineEditsSchema>(DATABASE, 1, {
    upgrade(db) {
      db.createObjectStore('updates', { autoIncrement: true }).createIndex('comic', ['userId', 'comicId']);
    },
    // Signing out deletes the database: let it, even while a comic is open in another tab.
    blocking(_current, _next, event) {
      (event.target as IDBDatabase).close();
    },
  });
}

/** Deletes every unconfirmed change this browser keeps, whoever made it: called when it signs out. */
export async function clearOfflineEdits(): Promise<void> {
  await deleteDB(DATABASE).catch(() => undefined);
}
