// Binds a tldraw store to the comic's Yjs document (the model of `@inkwell/collab-server/model`: a Y.Map
// `records` of plain JSON records, and a Y.Map `meta` whose `schema` says which schema they were written
// with). Local edits go to Yjs in one transaction per store change, with our own origin; remote edits come
// back through `store.mergeRemoteChanges`, so tldraw's undo stack only ever holds this person's edits.
import { type SerializedSchema, type SerializedStore, type TLRecord, type TLStore, DocumentRecordType, PageRecordType, TLDOCUMENT_ID } from 'tldraw';
import type * as Y from 'yjs';
import { SCHEMA_KEY, docToSnapshot, metaOf, recordsOf } from '@inkwell/collab-server/model';

/** The origin of every Yjs transaction this binding makes, so it can skip its own changes. */
export const LOCAL_ORIGIN = Symbol('inkwell canvas');

/** The page a new comic starts with; a fixed id, so that two people opening a new comic at once agree. */
const FIRST_PAGE = PageRecordType.createId('page');

export class DocumentTooNewError extends Error {
  constructor() {
    super('This comic was saved by a newer version of Inkwell. Reload the page to get it.');
  }
}

export interface YjsStoreBinding {
  /** Stops listening both ways. */
  dispose(): void;
}

interface BindOptions {
  store: TLStore;
  doc: Y.Doc;
  /** Whether local edits may go to the document (false for viewers: the server would drop them). */
  canWrite: () => boolean;
  /** A remote change that cannot be applied (a newer schema, an invalid record). */
  onError: (error: Error) => void;
}

const sameSchema = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Loads the document into the store (migrating records written with an older schema, and writing the
 * migrated records back when allowed), then keeps both in step. Call once the provider has synced.
 */
export function bindYjsStore({ store, doc, canWrite, onError }: BindOptions): YjsStoreBinding {
  const records = recordsOf(doc);
  const meta = metaOf(doc);
  const current: SerializedSchema = store.schema.serialize();
  /** Set once the document holds records of a newer schema than this code's: from then on it only reads. */
  let tooNew = false;

  function reportTooNew() {
    if (tooNew) return;
    tooNew = true;
    onError(new DocumentTooNewError());
  }

  /** Whether records written with `stored` can be read by this code (same or older schema). */
  const readable = (stored: unknown) =>
    !stored || sameSchema(stored, current) || store.schema.migrateStoreSnapshot({ store: {}, schema: stored as SerializedSchema }).type === 'success';

  load();

  // ---- store → Yjs --------------------------------------------------------------------------------------
  const stopListening = store.listen(
    ({ changes }) => {
      if (!canWrite() || tooNew) return;
      doc.transact(() => {
        for (const record of Object.values(changes.added)) records.set(record.id, record);
        for (const [, to] of Object.values(changes.updated)) records.set(to.id, to);
        for (const record of Object.values(changes.removed)) records.delete(record.id);
        if (!sameSchema(meta.get(SCHEMA_KEY), current)) meta.set(SCHEMA_KEY, current);
      }, LOCAL_ORIGIN);
    },
    { source: 'user', scope: 'document' },
  );

  // ---- Yjs → store --------------------------------------------------------------------------------------
  const onRecords = (event: Y.YMapEvent<TLRecord>, transaction: Y.Transaction) => {
    if (transaction.origin === LOCAL_ORIGIN) return;
    const stored = meta.get(SCHEMA_KEY) as SerializedSchema | undefined;
    const puts: TLRecord[] = [];
    const removes: TLRecord['id'][] = [];
    for (const key of event.keysChanged) {
      const id = key as TLRecord['id'];
      const value = records.get(id);
      if (value === undefined) {
        if (store.has(id)) removes.push(id);
        continue;
      }
      const record = upgrade(value, stored);
      if (record) puts.push(record);
    }
    apply(puts, removes);
  };

  const onMeta = () => {
    if (!readable(meta.get(SCHEMA_KEY))) reportTooNew();
  };

  records.observe(onRecords);
  meta.observe(onMeta);

  /** A record as this code's schema wants it; null (and a reported error) when it cannot be read. */
  function upgrade(record: TLRecord, stored: SerializedSchema | undefined): TLRecord | null {
    if (!stored || sameSchema(stored, current)) return record;
    const result = store.schema.migratePersistedRecord(record, stored, 'up');
    if (result.type === 'success') return result.value as TLRecord;
    reportTooNew();
    return null;
  }

  function apply(puts: TLRecord[], removes: TLRecord['id'][]) {
    if (puts.length === 0 && removes.length === 0) return;
    try {
      store.mergeRemoteChanges(() => {
        if (removes.length > 0) store.remove(removes);
        if (puts.length > 0) store.put(puts);
      });
    } catch {
      // One bad record (from an older or misbehaving client) must not keep the others out.
      for (const record of puts) {
        try {
          store.mergeRemoteChanges(() => store.put([record]));
        } catch (error) {
          console.warn(`skipped an invalid record from the document: ${record.id}`, error);
        }
      }
      store.mergeRemoteChanges(() => store.remove(removes.filter((id) => store.has(id))));
    }
  }

  function load() {
    if (records.size === 0) {
      // A new comic. An editor writes its first records; a viewer just sees an empty page.
      const initial: TLRecord[] = [
        DocumentRecordType.create({ id: TLDOCUMENT_ID }),
        PageRecordType.create({ id: FIRST_PAGE, name: 'Page 1', index: 'a1' as never }),
      ];
      if (canWrite()) {
        doc.transact(() => {
          for (const record of initial) records.set(record.id, record);
          meta.set(SCHEMA_KEY, current);
        }, LOCAL_ORIGIN);
      }
      store.mergeRemoteChanges(() => store.put(initial));
      return;
    }
    const snapshot = docToSnapshot(doc);
    const migrated = store.schema.migrateStoreSnapshot(snapshot);
    if (migrated.type === 'error') {
      tooNew = true;
      throw new DocumentTooNewError();
    }
    const value = migrated.value as SerializedStore<TLRecord>;
    if (canWrite() && !sameSchema(snapshot.schema, current)) {
      // Written by an older version: store the migrated records, so everyone reads the current shape.
      doc.transact(() => {
        for (const [id, before] of records.entries()) {
          const after = value[id as TLRecord['id']];
          if (!after) records.delete(id);
          else if (!sameSchema(after, before)) records.set(id, after);
        }
        meta.set(SCHEMA_KEY, current);
      }, LOCAL_ORIGIN);
    }
    store.mergeRemoteChanges(() => store.put(Object.values(value)));
  }

  return {
    dispose() {
      stopListening();
      records.unobserve(onRecords);
      meta.unobserve(onMeta);
    },
  };
}
