import type { TLRecord } from '@tldraw/tlschema';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { bookmark, caption, docWith, imageAsset, page } from './model/fixtures.ts';
import { JOBS_MAP, LETTERED_MAP, META_MAP, SCHEMA_KEY, recordsOf } from './model/index.ts';
import { RESTORES_MAP } from './model/restore.ts';
import { InvalidRecordError } from './model/validation.ts';
import { checkUpdate } from './update-check.ts';

/** The server's document, and a client that synced it and then made `edit`: what the client would send. */
function clientUpdate(server: Y.Doc, edit: (doc: Y.Doc) => void): Uint8Array {
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  const before = Y.encodeStateVector(client);
  edit(client);
  return Y.encodeStateAsUpdate(client, before);
}

const set = (record: TLRecord) => (doc: Y.Doc) => recordsOf(doc).set(record.id, record);
const p1 = 'page:p1';
const mystery = { ...caption('mystery', p1, 'a2', 'hi'), type: 'mystery' } as unknown as TLRecord;
const withLink = (href: string) => {
  const text = { type: 'text', text: 'click', marks: [{ type: 'link', attrs: { href } }] };
  const record = caption('linked', p1, 'a3', '') as TLRecord & { props: object };
  return { ...record, props: { ...record.props, richText: { type: 'doc', content: [{ type: 'paragraph', content: [text] }] } } } as TLRecord;
};

describe('checkUpdate', () => {
  const server = () => docWith([page('p1', 'Page 1', 'a1'), caption('c1', p1, 'a1', 'hello')]);

  it('accepts valid records, new or overwritten, and deletions', () => {
    const doc = server();
    expect(() => checkUpdate(doc, clientUpdate(doc, set(caption('c2', p1, 'a2', 'new'))))).not.toThrow();
    expect(() => checkUpdate(doc, clientUpdate(doc, set(caption('c1', p1, 'a1', 'changed'))))).not.toThrow();
    expect(() => checkUpdate(doc, clientUpdate(doc, (d) => recordsOf(d).delete('shape:c1' as never)))).not.toThrow();
    expect(() => checkUpdate(doc, clientUpdate(doc, set(imageAsset('ok', '/api/v1/media/1/file'))))).not.toThrow();
    expect(() => checkUpdate(doc, clientUpdate(doc, set(withLink('https://example.com/'))))).not.toThrow();
  });

  it.each([
    ['a bookmark to a javascript: address', bookmark('b', p1, 'a2', 'javascript:alert(1)')],
    ['a picture from a javascript: source', imageAsset('evil', 'javascript:alert(1)')],
    ['a picture from an asset: source', imageAsset('local', 'asset:abc')],
    ['a shape of an unknown type', mystery],
    ['a javascript: link in rich text', withLink('javascript:alert(1)')],
    ['a record that is not one', { id: 'shape:c3', typeName: 'shape', text: 'hi' } as unknown as TLRecord],
    ['session data', { id: 'instance_presence:x', typeName: 'instance_presence' } as unknown as TLRecord],
  ])('refuses %s, new or overwriting a valid one', (_what, record) => {
    const doc = server();
    expect(() => checkUpdate(doc, clientUpdate(doc, set(record)))).toThrow(InvalidRecordError);
    // An overwrite names the entry it replaces, not its key: the key is found through the document.
    const overwrite = { ...record, id: 'shape:c1' } as TLRecord;
    if (record.typeName === 'shape') expect(() => checkUpdate(doc, clientUpdate(doc, set(overwrite)))).toThrow(InvalidRecordError);
  });

  it('finds the key of the last of many overwrites made within one update', () => {
    const doc = server();
    const update = clientUpdate(doc, (d) => {
      for (let i = 0; i < 2000; i++) d.transact(() => recordsOf(d).set('shape:c1' as never, caption('c1', p1, 'a1', `draft ${i}`)));
      recordsOf(d).set('shape:c1' as never, mystery);
    });
    expect(() => checkUpdate(doc, update)).toThrow(/shape:c1/);
  });

  it('refuses a record stored under another id, and what the document does not hold', () => {
    const doc = server();
    expect(() => checkUpdate(doc, clientUpdate(doc, (d) => recordsOf(d).set('shape:other' as never, caption('c2', p1, 'a2', 'x'))))).toThrow(/another id/);
    expect(() => checkUpdate(doc, clientUpdate(doc, (d) => d.getMap('elsewhere').set('x', 1)))).toThrow(InvalidRecordError);
    expect(() => checkUpdate(doc, clientUpdate(doc, (d) => d.getMap(META_MAP).set(SCHEMA_KEY, { schemaVersion: 99 })))).toThrow(InvalidRecordError);
    expect(() => checkUpdate(doc, clientUpdate(doc, (d) => recordsOf(d).set('shape:c2' as never, new Y.Map() as never)))).toThrow(/plain values/);
    expect(() => checkUpdate(doc, clientUpdate(doc, (d) => d.getMap(JOBS_MAP).set('job', { nonsense: true })))).toThrow(InvalidRecordError);
    expect(() => checkUpdate(doc, clientUpdate(doc, (d) => d.getMap(JOBS_MAP).set('job', { panelId: 'p', mediaId: 'm', shapeId: 's' })))).not.toThrow();
    // A page script's lettering record, as a client that was given it hands it back after a server restart.
    expect(() => checkUpdate(doc, clientUpdate(doc, (d) => d.getMap(LETTERED_MAP).set('job', { panelId: 'p', shapeIds: ['s'] })))).not.toThrow();
    expect(() => checkUpdate(doc, clientUpdate(doc, (d) => d.getMap(LETTERED_MAP).set('job', { panelId: 'p' })))).toThrow(InvalidRecordError);
    // A restore's note, likewise; only as the server writes it.
    expect(() => checkUpdate(doc, clientUpdate(doc, (d) => d.getMap(RESTORES_MAP).set('version', 1767000000000)))).not.toThrow();
    expect(() => checkUpdate(doc, clientUpdate(doc, (d) => d.getMap(RESTORES_MAP).set('version', { evil: true })))).toThrow(InvalidRecordError);
  });

  it('refuses changes that build on content the server does not have', () => {
    const doc = server();
    const ahead = new Y.Doc();
    Y.applyUpdate(ahead, Y.encodeStateAsUpdate(doc));
    recordsOf(ahead).set('shape:c1' as never, caption('c1', p1, 'a1', 'unseen'));
    expect(() => checkUpdate(doc, clientUpdate(ahead, set(mystery)))).toThrow(InvalidRecordError);
    const missing = clientUpdate(ahead, set(caption('c1', p1, 'a1', 'valid, on an unseen change')));
    expect(() => checkUpdate(doc, missing)).toThrow(/does not have/);
  });
});
