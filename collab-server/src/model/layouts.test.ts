import { describe, expect, it } from 'vitest';
import { COMIC_PAGE, LAYOUT_TEMPLATES, type PanelRect, layoutTemplate } from './layouts.ts';

const overlaps = (a: PanelRect, b: PanelRect) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('layoutTemplate', () => {
  it('makes the panels a template names', () => {
    expect(layoutTemplate('splash')).toEqual([{ x: 40, y: 40, w: 720, h: 1120 }]);
    expect(layoutTemplate('grid-2x2')).toEqual([
      { x: 40, y: 40, w: 350, h: 550 },
      { x: 410, y: 40, w: 350, h: 550 },
      { x: 40, y: 610, w: 350, h: 550 },
      { x: 410, y: 610, w: 350, h: 550 },
    ]);
    expect(layoutTemplate('rows-3')).toHaveLength(3);
    expect(layoutTemplate('grid-3x3')).toHaveLength(9);
  });

  it.each(LAYOUT_TEMPLATES)('%s: panels inside the margins, apart by the gutter, filling the page', (template) => {
    const rects = layoutTemplate(template);
    for (const rect of rects) {
      expect(rect.x).toBeGreaterThanOrEqual(COMIC_PAGE.margin);
      expect(rect.y).toBeGreaterThanOrEqual(COMIC_PAGE.margin);
      expect(rect.x + rect.w).toBeLessThanOrEqual(COMIC_PAGE.width - COMIC_PAGE.margin + 1e-9);
      expect(rect.y + rect.h).toBeLessThanOrEqual(COMIC_PAGE.height - COMIC_PAGE.margin + 1e-9);
    }
    rects.forEach((a, i) => rects.slice(i + 1).forEach((b) => expect(overlaps(a, b)).toBe(false)));
    const bottom = Math.max(...rects.map((r) => r.y + r.h));
    expect(bottom).toBeCloseTo(COMIC_PAGE.height - COMIC_PAGE.margin);
  });
});
