import type { TLRecord, TLShape } from '@tldraw/tlschema';
import { describe, expect, it } from 'vitest';
import { readRecords, recordsOf } from './doc.ts';
import { bubble, docWith, page, panel } from './fixtures.ts';
import { letterPanel, placeLettering } from './lettering.ts';
import { createComicSchema } from './schema.ts';
import { richTextToPlain } from './summary.ts';

const lines = [
  { kind: 'caption' as const, speaker: null, text: 'Three hours earlier.' },
  { kind: 'speech' as const, speaker: 'Maya', text: 'Where is everyone?' },
  { kind: 'thought' as const, speaker: 'Maya', text: 'Too quiet.' },
];

function comic() {
  return docWith([
    page('p1', 'Page 1', 'a1'),
    panel('panel', 'page:p1', 'a1', { x: 40, y: 40, w: 350, h: 550 }),
    panel('other', 'page:p1', 'a2', { x: 410, y: 40, w: 350, h: 550 }),
  ]);
}

/** The panel's children bottom to top. */
const childrenOf = (doc: ReturnType<typeof comic>, parentId: string) =>
  readRecords(doc)
    .filter((r): r is TLShape => r.typeName === 'shape' && r.parentId === parentId)
    .sort((a, b) => (a.index < b.index ? -1 : 1));

describe('letterPanel', () => {
  it('writes the lines as a caption and bubbles of the right kinds, in reading order top to bottom, as valid records', () => {
    const doc = comic();
    const result = letterPanel(doc, { panelId: 'shape:panel', key: 'job-1', lines });
    expect(result.status).toBe('lettered');

    const shapes = childrenOf(doc, 'shape:panel');
    expect(shapes.map((s) => [s.type, (s.props as { kind?: string }).kind ?? null, richTextToPlain((s.props as { richText: unknown }).richText)])).toEqual([
      ['caption', null, 'Three hours earlier.'],
      ['speech-bubble', 'speech', 'Where is everyone?'],
      ['speech-bubble', 'thought', 'Too quiet.'],
    ]);
    expect(shapes[1]!.meta).toEqual({ speaker: 'Maya' });
    // Each below the one before, and all inside the panel.
    for (let i = 1; i < shapes.length; i++) expect(shapes[i]!.y).toBeGreaterThanOrEqual(shapes[i - 1]!.y + (shapes[i - 1]!.props as { h: number }).h);
    for (const shape of shapes) {
      const { w, h } = shape.props as { w: number; h: number };
      expect(shape.x).toBeGreaterThanOrEqual(0);
      expect(shape.x + w).toBeLessThanOrEqual(350);
      expect(shape.y + h).toBeLessThanOrEqual(550);
    }
    expect(childrenOf(doc, 'shape:other')).toEqual([]);
    const schema = createComicSchema();
    for (const record of readRecords(doc)) schema.types[record.typeName].validate(record);
  });

  it('writes once per key: a retried edit, even after the bubbles were deleted, adds nothing', () => {
    const doc = comic();
    const first = letterPanel(doc, { panelId: 'shape:panel', key: 'job-1', lines });
    expect(letterPanel(doc, { panelId: 'shape:panel', key: 'job-1', lines })).toEqual({ status: 'already-lettered' });
    for (const id of first.status === 'lettered' ? first.shapeIds : []) recordsOf(doc).delete(id);
    expect(letterPanel(doc, { panelId: 'shape:panel', key: 'job-1', lines })).toEqual({ status: 'already-lettered' });
    expect(childrenOf(doc, 'shape:panel')).toEqual([]);
    expect(letterPanel(doc, { panelId: 'shape:gone', key: 'job-2', lines })).toEqual({ status: 'panel-missing' });
  });

  it('goes below the lettering already in the panel, and above everything in it', () => {
    const doc = comic();
    recordsOf(doc).set('shape:old' as TLRecord['id'], bubble('old', 'shape:panel', 'a5', 'Hi', { x: 10, y: 10 }, { h: 100 }));
    letterPanel(doc, { panelId: 'shape:panel', key: 'job-1', lines: lines.slice(1) });
    const [old, ...added] = childrenOf(doc, 'shape:panel');
    expect(old!.id).toBe('shape:old');
    expect(added).toHaveLength(2);
    for (const shape of added) expect(shape.y).toBeGreaterThanOrEqual(110);
  });

  it('tightens the gaps when the lines barely fit, keeping their order', () => {
    const many = Array.from({ length: 6 }, (_, i) => ({ kind: 'speech' as const, speaker: 'Maya', text: `Line ${i} of a long exchange.` }));
    const boxes = placeLettering(many, { w: 350, h: 550 }, 14);
    for (let i = 1; i < boxes.length; i++) expect(boxes[i]!.y).toBeGreaterThanOrEqual(boxes[i - 1]!.y + boxes[i - 1]!.h);
    // Bubbles zigzag: left, right, left...
    expect(boxes[0]!.x).toBeLessThan(boxes[1]!.x);
  });
});
