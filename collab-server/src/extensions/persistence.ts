// Loads a comic's document from Postgres on first open and stores it (with its summary and thumbnail)
// on Hocuspocus' debounce, on unload and on shutdown; only when it changed.
//
// Guarantees, and how:
// - A document with unstored changes is never unloaded: `beforeUnloadDocument` refuses, and starts the
//   store whose success unloads it. A failed store is retried with backoff; the document stays in memory.
// - "Acknowledged" means stored: the server's "update applied" answer to a client (the provider's
//   unsynced-changes count) is held by `whenStored` until the change is in Postgres, so an edit the client
//   saw acknowledged survives even a SIGKILL. Unacknowledged edits stay unsynced in the client, which sends
//   them again when it reconnects.
// - Several instances may store one document (each holds what it got through Redis too): every write
//   names the version it merged last, and a writer that is behind merges the stored state in first.
import {
  type Document,
  type Extension,
  type Hocuspocus,
  type LocalTransactionOrigin,
  type onStoreDocumentPayload,
} from '@hocuspocus/server';
import * as Y from 'yjs';
import type { ComicDocumentStore, DocumentWrite } from '../comic-store.ts';
import { comicIdOf } from '../documents.ts';
import type { Logger } from '../logger.ts';
import type { Summaries } from '../summaries.ts';
import type { Metrics } from './metrics.ts';

/** What this extension applies from Postgres: already stored, so it is no change and needs no store. */
const FROM_DATABASE: LocalTransactionOrigin = { source: 'local', skipStoreHooks: true };

/** Conflicting writes in a row before a store gives up (and is retried later). */
const MAX_MERGES = 3;

interface Tracked {
  name: string;
  comicId: string;
  document: Document;
  instance: Hocuspocus;
  /** The stored version this copy has merged. */
  version: Date | null;
  /** Changes applied to the document (a counter), and how many of them are stored. */
  changes: number;
  stored: number;
  /** Acknowledgements held until the change they follow is stored. */
  waiting: Array<{ change: number; release: () => void }>;
  failures: number;
  retry: NodeJS.Timeout | undefined;
  /** The state as read from Postgres, while the document has not changed since (first-sync.ts sends it). */
  pristine: Uint8Array | undefined;
}

export interface PersistenceOptions {
  store: ComicDocumentStore;
  /** Derives what `comics` shows of a document (its summary and thumbnail), off the event loop. */
  summaries: Pick<Summaries, 'derive'>;
  /**
   * Hands the stored state of a document being loaded, and the context of the connection that opened it, to
   * whoever can use it before the document is built from it (first-sync.ts sends it to the waiting client).
   */
  beforeApplyingStored?(documentName: string, context: unknown, state: Uint8Array): Promise<void>;
  metrics: Pick<Metrics, 'storeDuration' | 'storeFailures'>;
  logger: Logger;
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface Persistence {
  extension: Extension;
  /** Runs `release` once every change the document has now is stored: at once when it is. */
  whenStored(documentName: string, release: () => void): void;
  /**
   * The document's changes so far (a count), and how many of them are stored: a change is stored once the
   * second reaches what the first was when it was applied. Both 0 for a document not open here.
   */
  changesMade(documentName: string): number;
  changesStored(documentName: string): number;
  /** Starts storing every document with unstored changes now (shutdown). */
  flush(): void;
  /** Documents whose changes are not all stored. */
  unstored(): string[];
  /** The bytes `document` was loaded from, when nothing has changed it since. */
  pristineState(document: Document): Uint8Array | undefined;
}

export function createPersistence(options: PersistenceOptions): Persistence {
  const { store, metrics, logger } = options;
  const tracked = new Map<string, Tracked>();
  const dirty = (entry: Tracked) => entry.changes !== entry.stored;
  const storeId = (entry: Tracked) => `onStoreDocument-${entry.name}`;

  function payload(entry: Tracked): onStoreDocumentPayload {
    const { instance, document, name } = entry;
    // No origin: the Redis extension holds stores of local (direct connection) changes for a second.
    return { instance, document, documentName: name, clientsCount: document.getConnectionsCount(), lastContext: {}, lastTransactionOrigin: null };
  }

  /** Through Hocuspocus, so its mutex, its debounce and its unload-after-store apply. */
  function storeSoon(entry: Tracked, immediately = false): void {
    void entry.instance.storeDocumentHooks(entry.document, payload(entry), immediately);
  }

  function ensureStoreScheduled(entry: Tracked): void {
    if (entry.retry || entry.instance.debouncer.isDebounced(storeId(entry))) return;
    storeSoon(entry);
  }

  function release(entry: Tracked): void {
    const ready = entry.waiting.filter((w) => w.change <= entry.stored);
    entry.waiting = entry.waiting.filter((w) => w.change > entry.stored);
    for (const waiter of ready) waiter.release();
  }

  /** The state is encoded at once (the changes counted so far are in it); the summary follows from it. */
  async function snapshot(entry: Tracked): Promise<DocumentWrite> {
    const state = Y.encodeStateAsUpdate(entry.document);
    try {
      return { state, derived: await options.summaries.derive(state) };
    } catch (error) {
      // A document this code cannot read (written by a newer canvas) is still stored; its summary waits.
      logger.warn('summary not derived', { document: entry.name, error: String(error) });
      return { state };
    }
  }

  async function save(entry: Tracked): Promise<void> {
    for (let merges = 0; ; merges++) {
      const result = await store.save(entry.comicId, await snapshot(entry), entry.version);
      if (result.status === 'saved') {
        entry.version = result.version;
        return;
      }
      if (result.status === 'gone') {
        logger.info('comic deleted, its document is dropped', { document: entry.name });
        entry.instance.closeConnections(entry.name);
        return;
      }
      if (merges === MAX_MERGES) throw new Error('the stored document kept changing under this write');
      Y.applyUpdate(entry.document, result.stored.state, FROM_DATABASE);
      entry.version = result.stored.version;
    }
  }

  /**
   * Hocuspocus 4.7.0 forgets a document whose load failed without destroying it, and its Awareness keeps
   * a timer alive for ever (ueberdosis/hocuspocus#1156, fixed after 4.7.0). Whatever hook fails, the load
   * promise rejects: destroy the document then.
   */
  function destroyIfLoadFails(instance: Hocuspocus, name: string, document: Document): void {
    instance.loadingDocuments.get(name)?.catch(() => {
      if (tracked.get(name)?.document === document) tracked.delete(name);
      if (!document.isDestroyed) document.destroy();
    });
  }

  const extension: Extension = {
    extensionName: 'persistence',
    // Above the Redis extension (1000), whose unload delay would otherwise run before this unload check.
    priority: 1100,

    async onLoadDocument({ documentName, document, instance, context }) {
      destroyIfLoadFails(instance, documentName, document);
      const comicId = comicIdOf(documentName);
      if (!comicId) throw new Error(`not a comic document: ${documentName}`);
      const stored = await store.load(comicId);
      if (stored) {
        await options.beforeApplyingStored?.(documentName, context, stored.state);
        Y.applyUpdate(document, stored.state, FROM_DATABASE);
      }
      const entry: Tracked = {
        name: documentName,
        comicId,
        document,
        instance,
        version: stored?.version ?? null,
        changes: 0,
        stored: 0,
        waiting: [],
        failures: 0,
        retry: undefined,
        pristine: stored?.state,
      };
      tracked.set(documentName, entry);
      document.on('update', (_update: Uint8Array, origin: unknown) => {
        entry.pristine = undefined;
        if (origin === FROM_DATABASE) return;
        // Hocuspocus schedules a store for changes from clients and direct connections. Changes that came
        // through Redis are the sending instance's to store, but this one may outlive it: they only make
        // the document dirty, and it is stored before unloading or when a client waits for an acknowledgement.
        entry.changes += 1;
      });
    },

    async onStoreDocument({ documentName, document }) {
      const entry = tracked.get(documentName);
      if (!entry || entry.document !== document || !dirty(entry)) return;
      clearTimeout(entry.retry);
      entry.retry = undefined;
      const through = entry.changes;
      const done = metrics.storeDuration.startTimer();
      try {
        await save(entry);
      } catch (error) {
        metrics.storeFailures.inc();
        entry.failures += 1;
        const delay = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** (entry.failures - 1));
        logger.error('store failed, the document stays in memory and the store is retried', {
          document: documentName,
          attempt: entry.failures,
          retryInMs: delay,
          error: String(error),
        });
        entry.retry = setTimeout(() => {
          entry.retry = undefined;
          storeSoon(entry, true);
        }, delay);
        throw error;
      } finally {
        done();
      }
      entry.failures = 0;
      entry.stored = through;
      release(entry);
      if (dirty(entry) && entry.waiting.length > 0) ensureStoreScheduled(entry);
    },

    async beforeUnloadDocument({ documentName, document }) {
      const entry = tracked.get(documentName);
      if (!entry || entry.document !== document || !dirty(entry)) return;
      // Store first; a successful store unloads the document. A pending retry will do the same.
      if (!entry.retry) storeSoon(entry, true);
      // No message: Hocuspocus logs rejections that have one, and this is the expected path.
      throw new Error();
    },

    async afterUnloadDocument({ documentName }) {
      const entry = tracked.get(documentName);
      if (!entry?.document.isDestroyed) return;
      clearTimeout(entry.retry);
      tracked.delete(documentName);
    },
  };

  return {
    extension,

    whenStored(documentName, releaseNow) {
      const entry = tracked.get(documentName);
      if (!entry || !dirty(entry)) return releaseNow();
      entry.waiting.push({ change: entry.changes, release: releaseNow });
      ensureStoreScheduled(entry);
    },

    changesMade: (documentName) => tracked.get(documentName)?.changes ?? 0,
    changesStored: (documentName) => tracked.get(documentName)?.stored ?? 0,

    flush() {
      for (const entry of tracked.values()) {
        if (!dirty(entry)) continue;
        clearTimeout(entry.retry);
        entry.retry = undefined;
        storeSoon(entry, true);
      }
    },

    unstored: () => [...tracked.values()].filter(dirty).map((entry) => entry.name),

    pristineState(document) {
      const entry = tracked.get(document.name);
      return entry?.document === document ? entry.pristine : undefined;
    },
  };
}
