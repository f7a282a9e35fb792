import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { type TLRecord, type TLShapeId, type TLStore, createShapeId, createTLStore, toRichText } from 'tldraw';
import { SCHEMA_KEY, createComicSchema, metaOf, recordsOf } from '@inkwell/collab-server/model';
import { LOCAL_ORIGIN, bindYjsStore } from './yjs-store.ts';

/** Two Y.Docs that pass every update to each other, as the provider and server would. */
function linkedDocs(): [Y.Doc, Y.Doc] {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on('update', (update: Uint8Array, origin: unknown) => origin !== 'peer' && Y.applyUpdate(b, update, 'peer'));
  b.on('update', (update: Uint8Array, origin: unknown) => origin !== 'peer' && Y.applyUpdate(a, update, 'peer'));
  return [a, b];
}

const newStore = () => createTLStore({ schema: createComicSchema() });

function bind(store: TLStore, doc: Y.Doc, canWrite = true) {
  const errors: Error[] = [];
  const binding = bindYjsStore({ store, doc, canWrite: () => canWrite, onError: (error) => errors.push(error) });
  return { binding, errors };
}

function bubble(id: TLShapeId, text: string): TLRecord {
  return {
    id,
    typeName: 'shape',
    type: 'speech-bubble',
    x: 10,
    y: 20,
    rotation: 0,
    index: 'a2',
    parentId: 'page:page',
    isLocked: false,
    opacity: 1,
    meta: {},
    props: {
      w: 200,
      h: 120,
      richText: toRichText(text),
      tail: { x: 0.5, y: 1.4 },
      kind: 'speech',
      color: 'black',
      size: 'm',
      font: 'draw',
      align: 'middle',
      lettering: 'auto',
    },
  } as TLRecord;
}

describe('the tldraw store bound to the comic document', () => {
  it('starts a new comic with a page, and writes the schema beside the records', () => {
    const doc = new Y.Doc();
    const store = newStore();
    bind(store, doc);
    expect(recordsOf(doc).get('document:document' as TLRecord['id'])).toBeTruthy();
    expect(recordsOf(doc).get('page:page' as TLRecord['id'])).toMatchObject({ typeName: 'page', name: 'Page 1' });
    expect(metaOf(doc).get(SCHEMA_KEY)).toEqual(store.schema.serialize());
  });

  it('sends local edits to the other side in one transaction, and applies them there as remote changes', () => {
    const [docA, docB] = linkedDocs();
    const [storeA, storeB] = [newStore(), newStore()];
    bind(storeA, docA);
    bind(storeB, docB);
    const transactions: unknown[] = [];
    docA.on('afterTransaction', (transaction: Y.Transaction) => transactions.push(transaction.origin));
    const sources: string[] = [];
    storeB.listen(({ source }) => sources.push(source), { scope: 'document' });

    const id = createShapeId('hello');
    storeA.put([bubble(id, 'Hello!'), bubble(createShapeId('two'), 'Two')]);

    expect(transactions).toEqual([LOCAL_ORIGIN]);
    expect(storeB.get(id)).toMatchObject({ type: 'speech-bubble', props: { richText: toRichText('Hello!') } });
    expect(sources).toEqual(['remote']);

    storeB.remove([id]);
    expect(storeA.get(id)).toBeUndefined();
  });

  it('never writes for a viewer, who still sees the others’ edits', () => {
    const [docA, docB] = linkedDocs();
    const [storeA, storeB] = [newStore(), newStore()];
    bind(storeA, docA);
    bind(storeB, docB, false);
    const id = createShapeId('seen');
    storeA.put([bubble(id, 'Seen')]);
    expect(storeB.get(id)).toBeTruthy();
    storeB.put([bubble(createShapeId('ignored'), 'Not sent')]);
    expect(recordsOf(docB).get(createShapeId('ignored'))).toBeUndefined();
    expect(storeA.get(createShapeId('ignored'))).toBeUndefined();
  });

  it('migrates a document written with an older schema on load, and stores the migrated records', () => {
    const doc = new Y.Doc();
    const current = createComicSchema().serialize();
    // Before version 1 of its props, a caption had plain `text` and no rich text.
    const old = structuredClone(current);
    (old as { sequences: Record<string, number> }).sequences['com.tldraw.shape.caption'] = 0;
    const captionId = createShapeId('old-caption');
    doc.transact(() => {
      recordsOf(doc).set('document:document' as TLRecord['id'], { id: 'document:document', typeName: 'document', gridSize: 10, name: '', meta: {} } as unknown as TLRecord);
      recordsOf(doc).set('page:page' as TLRecord['id'], { id: 'page:page', typeName: 'page', name: 'Page 1', index: 'a1', meta: {} } as unknown as TLRecord);
      recordsOf(doc).set(captionId, {
        ...bubble(captionId, ''),
        type: 'caption',
        props: { w: 240, h: 60, text: 'Once upon a time', color: 'black', size: 's', font: 'sans', align: 'start' },
      } as unknown as TLRecord);
      metaOf(doc).set(SCHEMA_KEY, old);
    });

    const store = newStore();
    const { errors } = bind(store, doc);

    expect(errors).toEqual([]);
    expect(store.get(captionId)).toMatchObject({ type: 'caption', props: { richText: toRichText('Once upon a time') } });
    expect(recordsOf(doc).get(captionId)).toMatchObject({ props: { richText: toRichText('Once upon a time') } });
    expect(metaOf(doc).get(SCHEMA_KEY)).toEqual(current);
  });

  it('only reads a document that a newer version wrote, and never marks it with the older schema', () => {
    const [docA, docB] = linkedDocs();
    const storeA = newStore();
    bind(storeA, docA);
    const storeB = newStore();
    const { errors } = bind(storeB, docB);
    const current = createComicSchema().serialize();
    const newer = { ...current, sequences: { ...current.sequences, 'com.tldraw.shape.caption': 99 } };
    docA.transact(() => metaOf(docA).set(SCHEMA_KEY, newer));

    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining('newer version of Inkwell')]);
    storeB.put([bubble(createShapeId('late'), 'From an old tab')]);
    expect(recordsOf(docB).get(createShapeId('late'))).toBeUndefined();
    expect(metaOf(docA).get(SCHEMA_KEY)).toEqual(newer);
  });
});
