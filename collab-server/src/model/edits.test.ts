import type { TLImageShape, TLRecord } from '@tldraw/tlschema';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readRecords, recordsOf } from './doc.ts';
import { insertImageIntoPanel, setPanelGeneration } from './edits.ts';
import { bubble, caption, docWith, page, panel, stackOf } from './fixtures.ts';
import { createComicSchema } from './schema.ts';
import type { ComicPanelShape } from './shapes.ts';

const mediaId = '11111111-2222-4333-8444-555555555555';
const insertion = { panelId: 'shape:panel', mediaId, assetSrc: `/api/v1/media/${mediaId}/file`, width: 1024, height: 512, jobId: 'job-1' };

function comic() {
  return docWith([
    page('p1', 'Page 1', 'a1'),
    panel('panel', 'page:p1', 'a1', { x: 40, y: 40, w: 400, h: 400 }),
    bubble('b1', 'shape:panel', 'a5', 'Hi'),
    caption('c1', 'shape:panel', 'a7', 'Later'),
  ]);
}

const shapesIn = (doc: Y.Doc, type: string) => readRecords(doc).filter((r) => r.typeName === 'shape' && r.type === type);
const panelIn = (doc: Y.Doc) => recordsOf(doc).get('shape:panel' as TLRecord['id']) as ComicPanelShape;

describe('insertImageIntoPanel', () => {
  it('fills the panel with the image, under its lettering, as valid records', () => {
    const doc = comic();
    setPanelGeneration(doc, 'shape:panel', { status: 'running', jobId: 'job-1', progress: 40 });

    expect(insertImageIntoPanel(doc, insertion)).toEqual({ status: 'inserted', shapeId: 'shape:job-job-1' });

    const [image] = shapesIn(doc, 'image') as TLImageShape[];
    expect(image).toMatchObject({ parentId: 'shape:panel', x: 0, y: 0, props: { w: 400, h: 400, assetId: 'asset:job-job-1' } });
    // A 2:1 image in a square panel: the middle half of its width shows.
    expect(image!.props.crop).toEqual({ topLeft: { x: 0.25, y: 0 }, bottomRight: { x: 0.75, y: 1 } });
    expect(stackOf(readRecords(doc), 'shape:panel')).toEqual(['image', 'speech-bubble', 'caption']);
    expect(recordsOf(doc).get('asset:job-job-1' as TLRecord['id'])).toMatchObject({ props: { src: insertion.assetSrc, w: 1024, h: 512 } });
    expect(panelIn(doc).props.generation).toBeNull();
    const schema = createComicSchema();
    for (const record of readRecords(doc)) schema.types[record.typeName].validate(record);
  });

  it('is idempotent per job, even after the image was deleted or when the call comes from another replica', () => {
    const doc = comic();
    insertImageIntoPanel(doc, insertion);
    expect(insertImageIntoPanel(doc, insertion)).toEqual({ status: 'already-inserted', shapeId: 'shape:job-job-1' });
    expect(shapesIn(doc, 'image')).toHaveLength(1);

    recordsOf(doc).delete('shape:job-job-1');
    expect(insertImageIntoPanel(doc, insertion).status).toBe('already-inserted');
    expect(shapesIn(doc, 'image')).toHaveLength(0);

    // Two servers retrying the same job at once on two copies of the document: they merge into one image.
    const a = comic();
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    insertImageIntoPanel(a, insertion);
    insertImageIntoPanel(b, insertion);
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    expect(shapesIn(a, 'image')).toHaveLength(1);

    expect(insertImageIntoPanel(doc, { ...insertion, jobId: 'job-2' }).status).toBe('inserted');
    expect(shapesIn(doc, 'image')).toHaveLength(1);
  });

  it('reports a panel that is gone instead of inserting elsewhere', () => {
    const doc = comic();
    recordsOf(doc).delete('shape:panel');
    expect(insertImageIntoPanel(doc, insertion)).toEqual({ status: 'panel-missing' });
    expect(shapesIn(doc, 'image')).toHaveLength(0);
  });
});

describe('setPanelGeneration', () => {
  it('sets and clears the state, but never brings back a job whose image is in', () => {
    const doc = comic();
    expect(setPanelGeneration(doc, 'shape:panel', { status: 'queued', jobId: 'job-1', progress: 0 })).toBe(true);
    expect(panelIn(doc).props.generation).toEqual({ status: 'queued', jobId: 'job-1', progress: 0 });
    expect(setPanelGeneration(doc, 'shape:panel', null)).toBe(true);
    expect(panelIn(doc).props.generation).toBeNull();

    insertImageIntoPanel(doc, insertion);
    expect(setPanelGeneration(doc, 'shape:panel', { status: 'running', jobId: 'job-1', progress: 90 })).toBe(false);
    expect(panelIn(doc).props.generation).toBeNull();
    expect(setPanelGeneration(doc, 'shape:nope', null)).toBe(false);
    expect(() => setPanelGeneration(doc, 'shape:panel', { status: 'running', jobId: 'job-3', progress: -1 })).toThrow();
  });
});
