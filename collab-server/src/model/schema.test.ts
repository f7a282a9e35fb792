import { DocumentRecordType, TLDOCUMENT_ID, type TLRecord } from '@tldraw/tlschema';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { docToSnapshot, metaOf, migrateDoc, putRecords, readRecords, recordsOf, SCHEMA_KEY } from './doc.ts';
import { bubble, caption, docWith, page, panel } from './fixtures.ts';
import { createComicSchema } from './schema.ts';

const schema = createComicSchema();
const validate = (record: TLRecord) => schema.types[record.typeName].validate(record);

describe('comic schema', () => {
  it('accepts the comic shapes with their default props', () => {
    const records = [
      DocumentRecordType.create({ id: TLDOCUMENT_ID }),
      page('p1', 'Page 1', 'a1'),
      panel('panel1', 'page:p1', 'a1', { x: 40, y: 40, w: 360, h: 560 }),
      bubble('b1', 'shape:panel1', 'a1', 'Hello!'),
      caption('c1', 'shape:panel1', 'a2', 'Meanwhile…'),
    ];
    for (const record of records) expect(validate(record)).toEqual(record);
  });

  it('rejects bad props', () => {
    const good = bubble('b1', 'page:p1', 'a1', 'Hi') as TLRecord & { props: Record<string, unknown> };
    expect(() => validate({ ...good, props: { ...good.props, kind: 'whisper' } } as TLRecord)).toThrow(/kind/);
    expect(() => validate({ ...good, props: { ...good.props, tail: { x: 'left', y: 1 } } } as TLRecord)).toThrow(/tail/);
    expect(() => validate({ ...good, props: { ...good.props, lettering: 'wingdings' } } as TLRecord)).toThrow(/lettering/);
    expect(validate({ ...good, props: { ...good.props, lettering: 'bangers' } } as TLRecord)).toBeTruthy();
    const p = panel('p', 'page:p1', 'a1', { x: 0, y: 0, w: 10, h: 10 }) as TLRecord & { props: Record<string, unknown> };
    const generation = { status: 'running', jobId: 'j1', progress: 150 };
    expect(() => validate({ ...p, props: { ...p.props, generation } } as TLRecord)).toThrow(/progress/);
    expect(() => validate({ ...p, props: { ...p.props, w: 0 } } as TLRecord)).toThrow();
  });

  it('migrates a snapshot written before the comic shapes had their current props', () => {
    const current = schema.serialize();
    const old = {
      schemaVersion: 2 as const,
      sequences: {
        ...current.sequences,
        'com.tldraw.shape.comic-panel': 0,
        'com.tldraw.shape.speech-bubble': 0,
        'com.tldraw.shape.caption': 0,
      },
    };
    const oldPanel = panel('panel1', 'page:p1', 'a1', { x: 0, y: 0, w: 300, h: 200 }) as TLRecord & { props: Record<string, unknown> };
    const oldBubble = bubble('b1', 'shape:panel1', 'a1', 'Hi') as TLRecord & { props: Record<string, unknown> };
    const oldCaption = caption('c1', 'shape:panel1', 'a2', '') as TLRecord & { props: Record<string, unknown> };
    delete oldPanel.props.generation;
    delete oldBubble.props.kind;
    delete oldBubble.props.lettering;
    delete oldCaption.props.richText;
    delete oldCaption.props.lettering;
    oldCaption.props.text = 'Later that day';

    const doc = new Y.Doc();
    putRecords(doc, [page('p1', 'Page 1', 'a1'), oldPanel, oldBubble, oldCaption]);
    metaOf(doc).set(SCHEMA_KEY, old);

    const records = new Map(readRecords(doc).map((r) => [r.id, r as TLRecord & { props?: Record<string, unknown> }]));
    expect(records.get(oldPanel.id)?.props?.generation).toBeNull();
    expect(records.get(oldBubble.id)?.props?.kind).toBe('speech');
    // Older bubbles and captions follow the comic's default lettering font.
    expect([records.get(oldBubble.id)?.props?.lettering, records.get(oldCaption.id)?.props?.lettering]).toEqual(['auto', 'auto']);
    expect(records.get(oldCaption.id)?.props?.richText).toEqual({
      type: 'doc',
      content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Later that day' }] }],
    });
    for (const record of records.values()) validate(record);
    // Reading migrates copies: the document itself is untouched until migrateDoc writes it back.
    expect(docToSnapshot(doc).schema).toEqual(old);

    migrateDoc(doc);
    expect(metaOf(doc).get(SCHEMA_KEY)).toEqual(current);
    expect((recordsOf(doc).get(oldBubble.id) as { props: { kind: string } }).props.kind).toBe('speech');
  });

  it('refuses a document written by a newer schema rather than guessing', () => {
    const doc = docWith([page('p1', 'Page 1', 'a1')]);
    const current = schema.serialize();
    metaOf(doc).set(SCHEMA_KEY, { ...current, sequences: { ...current.sequences, 'com.tldraw.shape.caption': 99 } });
    expect(() => readRecords(doc)).toThrow(/migrate/);
  });
});
