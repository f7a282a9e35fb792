// This browser's changes to a comic that the server has not yet confirmed as stored, kept in IndexedDB so
// that they survive a lost connection, a closed tab or a closed browser. They are replayed into the comic
// when it is opened again (Yjs merges them with whatever the others did meanwhile), dropped once the server
// acknowledges them, and all deleted when this browser signs out.
import * as Y from 'yjs';
import { openOfflineEdits, type OfflineEditsDatabase } from './offline-database.ts';

/** The queue of one person's unconfirmed changes to one comic; it works in memory alone when IndexedDB cannot. */
export class OfflineEdits {
  /** Keys (once written) of the changes still waiting for the server, oldest first. */
  private waiting: Promise<number | null>[] = [];
  private readonly database: Promise<OfflineEditsDatabase | null>;
  private readonly scope: [string, string];

  constructor(userId: string, comicId: string) {
    this.scope = [userId, comicId];
    // Private windows and old browsers may refuse IndexedDB: changes are then kept for this tab only.
    this.database = openOfflineEdits().catch(() => null);
  }

  /** How many changes wait to be confirmed. */
  get count(): number {
    return this.waiting.length;
  }

  /**
   * The changes an earlier visit left unconfirmed, merged into one update (null when there are none); they
   * stay queued until the server confirms them.
   */
  async restore(): Promise<Uint8Array | null> {
    const db = await this.database;
    if (!db) return null;
    const keys = await db.getAllKeysFromIndex('updates', 'comic', this.scope).catch(() => []);
    if (keys.length === 0) return null;
    const rows = await Promise.all(keys.map((key) => db.get('updates', key)));
    this.waiting.unshift(...keys.map((key) => Promise.resolve(key)));
    return Y.mergeUpdates(rows.flatMap((row) => (row ? [row.update] : [])));
  }

  /** Keeps a local change until the server confirms it. */
  add(update: Uint8Array): void {
    const [userId, comicId] = this.scope;
    this.waiting.push(
      this.database.then((db) => db?.add('updates', { userId, comicId, update }) ?? null).catch(() => null),
    );
  }

  /** The server confirmed every change sent so far: forget them. */
  async confirmAll(): Promise<void> {
    const confirmed = this.waiting.splice(0);
    const db = await this.database;
    if (!db || confirmed.length === 0) return;
    const keys = (await Promise.all(confirmed)).filter((key) => key !== null);
    const tx = db.transaction('updates', 'readwrite');
    await Promise.all([...keys.map((key) => tx.store.delete(key)), tx.done]).catch(() => undefined);
  }

  async close(): Promise<void> {
    (await this.database)?.close();
  }
}
