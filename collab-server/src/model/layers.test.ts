import type { TLRecord, TLShape } from '@tldraw/tlschema';
import { describe, expect, it } from 'vitest';
import { readRecords, recordsOf } from './doc.ts';
import { insertImageIntoPanel } from './edits.ts';
import { bubble, caption, docWith, image, imageAsset, page, panel, stackOf } from './fixtures.ts';
import { artIndex } from './layers.ts';

const media = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const generated = (n: number) => ({ panelId: 'shape:panel', mediaId: media(n), assetSrc: `/api/v1/media/${media(n)}/file`, width: 512, height: 512, jobId: `job-${n}` });

const picture = (id: string, index: string) => image(id, 'shape:panel', index);

const childrenOf = (records: Iterable<TLRecord>) =>
  [...records].filter((r): r is TLShape => r.typeName === 'shape' && r.parentId === 'shape:panel');

/** What the canvas does to place a picture: give it the rule's index (the picture already in the panel or not). */
function place(records: TLRecord[], id: string): TLRecord[] {
  const index = artIndex(childrenOf(records), `shape:${id}`);
  const existing = records.find((r) => r.id === `shape:${id}`);
  return existing ? records.map((r) => (r === existing ? { ...r, index } : r)) : [...records, picture(id, index)];
}

const lettered = () => [
  page('p1', 'Page 1', 'a1'),
  panel('panel', 'page:p1', 'a1', { x: 0, y: 0, w: 400, h: 300 }),
  bubble('hello', 'shape:panel', 'a2', 'Hello'),
  caption('later', 'shape:panel', 'a4', 'Later'),
];

describe('art goes under the lettering of its panel', () => {
  it('for pictures the server generates, one after another: each on top of the art, all under the bubbles', () => {
    const doc = docWith(lettered());
    insertImageIntoPanel(doc, generated(1));
    insertImageIntoPanel(doc, generated(2));
    expect(stackOf(readRecords(doc), 'shape:panel')).toEqual(['image', 'image', 'speech-bubble', 'caption']);
    const [first, second] = childrenOf(readRecords(doc))
      .filter((s) => s.type === 'image')
      .sort((a, b) => (a.index < b.index ? -1 : 1));
    expect([first!.id, second!.id]).toEqual(['shape:job-job-1', 'shape:job-job-2']);
  });

  it('for a picture dropped, pasted or dragged into a panel, even under lettering at the lowest index', () => {
    const records = [...lettered(), bubble('low', 'shape:panel', 'a0', 'Psst')];
    expect(stackOf(place(records, 'dropped'), 'shape:panel')).toEqual(['image', 'speech-bubble', 'speech-bubble', 'caption']);
  });

  it('for a chosen variant: it comes to the top of the art, still under the lettering', () => {
    const records = [...lettered(), picture('first', 'a1'), picture('second', 'a3'), picture('third', 'a3V')];
    // An older canvas put 'second' and 'third' over the bubble; choosing 'first' puts it on top of the art.
    const chosen = place(records, 'first');
    const order = childrenOf(chosen)
      .sort((a, b) => (a.index < b.index ? -1 : 1))
      .map((s): string => s.id);
    expect(order.indexOf('shape:first')).toBe(order.indexOf('shape:hello') - 1);
  });

  it('in a panel without lettering: on top of everything', () => {
    const records = [page('p1', 'Page 1', 'a1'), panel('panel', 'page:p1', 'a1', { x: 0, y: 0, w: 400, h: 300 }), picture('old', 'a5')];
    expect(artIndex(childrenOf(records)) > 'a5').toBe(true);
    expect(artIndex([])).toBeTruthy();
  });

  it('keeps a picture the server inserts into a panel whose bubble an older canvas left under a picture', () => {
    const doc = docWith([...lettered(), imageAsset('a', '/x.png'), picture('legacy', 'a3')]);
    insertImageIntoPanel(doc, generated(1));
    const stack = stackOf(readRecords(doc), 'shape:panel');
    expect(stack[0]).toBe('image');
    expect(stack[1]).toBe('speech-bubble');
    expect(recordsOf(doc).get('shape:job-job-1' as TLRecord['id'])).toMatchObject({ parentId: 'shape:panel' });
  });
});
