import { DocumentRecordType, TLDOCUMENT_ID } from '@tldraw/tlschema';
import { describe, expect, it } from 'vitest';
import { readRecords } from './doc.ts';
import { insertImageIntoPanel } from './edits.ts';
import { bubble, caption, docWith, image, imageAsset, page, panel } from './fixtures.ts';
import { layoutTemplate } from './layouts.ts';
import { COMIC_LETTERING_KEY } from './shapes.ts';
import { mediaIdsOf, summarizeComic } from './summary.ts';

const media = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

describe('summarizeComic', () => {
  it('lists pages and their panels in reading order, with image references and plain text', () => {
    const [topLeft, topRight, bottomLeft, bottomRight] = layoutTemplate('grid-2x2');
    const doc = docWith([
      page('p2', 'Page 2', 'a2'),
      page('p1', 'Page 1', 'a1'),
      // Created out of order: the summary reads rows top to bottom, left to right.
      panel('d', 'page:p1', 'a1', bottomRight!),
      panel('a', 'page:p1', 'a2', topLeft!),
      panel('c', 'page:p1', 'a3', bottomLeft!),
      panel('b', 'page:p1', 'a4', topRight!),
      bubble('b1', 'shape:a', 'a1', 'Where are we?'),
      caption('c1', 'shape:a', 'a2', 'Line one\nLine two'),
      // Dropped on the page over panel b rather than into it.
      bubble('b2', 'page:p1', 'a5', 'Over here!', { x: topRight!.x + 20, y: topRight!.y + 20 }),
      bubble('empty', 'shape:c', 'a1', ''),
      panel('splash', 'page:p2', 'a1', layoutTemplate('splash')[0]!),
    ]);
    for (const [n, panelId] of [[1, 'shape:a'], [2, 'shape:a'], [3, 'shape:d']] as const) {
      insertImageIntoPanel(doc, { panelId, mediaId: media(n), assetSrc: `/api/v1/media/${media(n)}/file`, width: 512, height: 512, jobId: `job-${n}` });
    }

    const summary = summarizeComic(readRecords(doc));

    expect(summary.pages.map((p) => [p.id, p.name])).toEqual([
      ['page:p1', 'Page 1'],
      ['page:p2', 'Page 2'],
    ]);
    const [first, second] = summary.pages;
    expect(first!.panels.map((p) => p.id)).toEqual(['shape:a', 'shape:b', 'shape:c', 'shape:d']);
    expect(first!.panels[0]).toMatchObject({
      id: 'shape:a',
      x: topLeft!.x,
      y: topLeft!.y,
      w: topLeft!.w,
      h: topLeft!.h,
      images: [media(1), media(2)],
      text: ['Where are we?', 'Line one\nLine two'],
    });
    expect(first!.panels[1]!.text).toEqual(['Over here!']);
    expect(first!.panels[2]).toMatchObject({ images: [], text: [] });
    expect(first!.panels[3]!.images).toEqual([media(3)]);
    expect(second!.panels).toHaveLength(1);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });

  it('places pictures, bubbles and captions on the page, with their lettering, and bounds each page', () => {
    const doc = docWith([
      page('p1', 'Page 1', 'a1'),
      page('p2', 'Empty', 'a2'),
      panel('left', 'page:p1', 'a1', { x: 100, y: 50, w: 400, h: 300 }),
      panel('right', 'page:p1', 'a2', { x: 520, y: 50, w: 200, h: 300 }),
      // Inside the panel: its x and y are the panel's own coordinates.
      bubble('hello', 'shape:left', 'a1', 'Hello\nthere', { x: 20, y: 30 }, { w: 150, h: 80, tail: { x: 0.25, y: 1.5 }, kind: 'shout', font: 'serif', size: 'l', align: 'start', color: 'red' }),
      // Dropped on the page over the right panel: page coordinates already.
      caption('later', 'page:p1', 'a3', 'Later…', { x: 540, y: 300 }),
      bubble('blank', 'shape:right', 'a1', ''),
    ]);
    // 1024×512 into a 400×300 panel: covered, cropped at the sides.
    insertImageIntoPanel(doc, { panelId: 'shape:left', mediaId: media(1), assetSrc: `/api/v1/media/${media(1)}/file`, width: 1024, height: 512, jobId: 'job-1' });

    const [first, empty] = summarizeComic(readRecords(doc)).pages;

    expect(first!.bounds).toEqual({ x: 100, y: 50, w: 620, h: 300 });
    expect(empty).toEqual({ id: 'page:p2', name: 'Empty', bounds: null, panels: [] });
    const [left, right] = first!.panels;
    // The whole picture at the panel's height (600 wide), centred: it reaches 100 past each side of the panel.
    expect(left!.art).toEqual([{ mediaId: media(1), x: 0, y: 50, w: 600, h: 300 }]);
    expect(left!.lettering).toEqual([
      { id: 'shape:hello', kind: 'shout', x: 120, y: 80, w: 150, h: 80, tail: { x: 157.5, y: 200 }, text: 'Hello\nthere', font: 'serif', size: 'l', align: 'start', color: 'red' },
    ]);
    expect(right!.lettering.map((l) => [l.id, l.kind, l.text])).toEqual([
      ['shape:blank', 'speech', ''],
      ['shape:later', 'caption', 'Later…'],
    ]);
    expect(right!.lettering[0]).toMatchObject({ x: 530, y: 60 });
    expect(right!.lettering[1]).toMatchObject({ x: 540, y: 300, w: 240, h: 60, tail: null, font: 'sans', size: 's', align: 'start', color: 'black' });
    // The plain text skips empty bubbles; the lettering keeps them (the balloon is still drawn).
    expect(right!.text).toEqual(['Later…']);
  });

  it("letters each bubble in its own font, else the comic's default, else tldraw's font style", () => {
    const records = [
      page('p1', 'Page 1', 'a1'),
      panel('p', 'page:p1', 'a1', { x: 0, y: 0, w: 400, h: 300 }),
      bubble('own', 'shape:p', 'a1', 'POW', undefined, { lettering: 'bangers' }),
      bubble('auto', 'shape:p', 'a2', 'Hi', undefined, { font: 'serif' }),
      caption('later', 'shape:p', 'a3', 'Later'),
    ];
    const fonts = (doc: ReturnType<typeof docWith>) => summarizeComic(readRecords(doc)).pages[0]!.panels[0]!.lettering.map((l) => l.font);
    expect(fonts(docWith(records))).toEqual(['bangers', 'serif', 'sans']);
    const withDefault = [...records, DocumentRecordType.create({ id: TLDOCUMENT_ID, meta: { [COMIC_LETTERING_KEY]: 'kalam' } })];
    expect(fonts(docWith(withDefault))).toEqual(['bangers', 'kalam', 'kalam']);
  });

  it('summarises an empty document as no pages', () => {
    expect(summarizeComic(readRecords(docWith([])))).toEqual({ pages: [] });
  });
});

describe('mediaIdsOf', () => {
  it('lists each of our pictures the document holds once, in a panel or loose on the page, and no one else’s', () => {
    const doc = docWith([
      page('p1', 'Page 1', 'a1'),
      panel('a', 'page:p1', 'a1', layoutTemplate('splash')[0]!),
      imageAsset('loose', `/api/v1/media/${media(2)}/file`),
      image('loose', 'page:p1', 'a2', 'asset:loose'),
      imageAsset('elsewhere', 'https://example.com/picture.png'),
      imageAsset('upper', `/api/v1/media/${media(3).toUpperCase()}/file`),
    ]);
    insertImageIntoPanel(doc, { panelId: 'shape:a', mediaId: media(1), assetSrc: `/api/v1/media/${media(1)}/file`, width: 512, height: 512, jobId: 'job-1' });
    insertImageIntoPanel(doc, { panelId: 'shape:a', mediaId: media(1), assetSrc: `/api/v1/media/${media(1)}/file`, width: 512, height: 512, jobId: 'job-2' });

    expect(mediaIdsOf(readRecords(doc)).sort()).toEqual([media(1), media(2), media(3)]);
    // The summary shows only what is in panels: the list is what the document holds.
    expect(summarizeComic(readRecords(doc)).pages[0]!.panels[0]!.images).toEqual([media(1), media(1)]);
  });
});
