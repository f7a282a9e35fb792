import { describe, expect, it } from 'vitest';
import { fitTransform, guidedSteps } from './guided.ts';

const panel = (x: number, y: number, w: number, h: number) => ({ id: `${x},${y}`, x, y, w, h, alt: '', lettering: [] });

describe('guided view', () => {
  it('steps through every panel in the order given, page after page, and shows a page without panels whole', () => {
    const steps = guidedSteps([{ panels: [panel(0, 0, 0.5, 1), panel(0.5, 0, 0.5, 1)] }, { panels: [] }, { panels: [panel(0, 0, 1, 0.5)] }]);
    expect(steps).toEqual([
      { page: 0, panel: 0, rect: { x: 0, y: 0, w: 0.5, h: 1 } },
      { page: 0, panel: 1, rect: { x: 0.5, y: 0, w: 0.5, h: 1 } },
      { page: 1, panel: null, rect: { x: 0, y: 0, w: 1, h: 1 } },
      { page: 2, panel: 0, rect: { x: 0, y: 0, w: 1, h: 0.5 } },
    ]);
  });

  it('zooms a panel until it fills the stage in one direction, centred', () => {
    // A 1000 × 500 page; its right half (500 × 500) in a 375 × 600 phone stage: the width decides.
    const t = fitTransform({ x: 0.5, y: 0, w: 0.5, h: 1 }, { width: 1000, ratio: 2 }, { width: 375, height: 600 }, 0);
    expect(t.scale).toBeCloseTo(0.75);
    // The panel's left edge lands on the stage's, its centre on the stage's centre.
    expect(500 * t.scale + t.x).toBeCloseTo(0);
    expect(250 * t.scale + t.y).toBeCloseTo(300);
  });

  it('keeps a margin around the panel and lets a wide panel be decided by the stage height', () => {
    const t = fitTransform({ x: 0, y: 0.5, w: 1, h: 0.5 }, { width: 1000, ratio: 1 }, { width: 2000, height: 500 }, 0.1);
    expect(t.scale).toBeCloseTo(0.8 * (500 / 500));
    expect(750 * t.scale + t.y).toBeCloseTo(250);
  });
});
