import { describe, expect, it } from 'vitest';
import { readRecords } from './doc.ts';
import { insertImageIntoPanel } from './edits.ts';
import { bubble, caption, docWith, page, panel } from './fixtures.ts';
import { layoutTemplate } from './layouts.ts';
import { summarizeComic } from './summary.ts';

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
    expect(first!.panels[0]).toEqual({
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

  it('summarises an empty document as no pages', () => {
    expect(summarizeComic(readRecords(docWith([])))).toEqual({ pages: [] });
  });
});
