import { describe, expect, it } from 'vitest';
import { marginsFor, placeNextTo } from './screen-box.ts';

const view = { w: 375, h: 700 };
const margins = marginsFor(view);
const bar = { w: 200, h: 50 };

describe('placeNextTo', () => {
  it('centres the tools under the panel when there is room', () => {
    expect(placeNextTo({ x: 100, y: 100, w: 200, h: 200 }, bar, view)).toEqual({ x: 100, y: 100 + 200 + margins.gap });
  });

  it('puts them above a panel that reaches the foot of the canvas', () => {
    expect(placeNextTo({ x: 100, y: 300, w: 200, h: 380 }, bar, view)).toEqual({ x: 100, y: 300 - margins.gap - bar.h });
  });

  it('keeps them on a phone screen, over a panel that fills it, and beside one scrolled off to a side', () => {
    const form = { w: 340, h: 330 };
    const over = placeNextTo({ x: -50, y: 0, w: 600, h: 900 }, form, view);
    expect(over.x).toBeGreaterThanOrEqual(margins.side);
    expect(over.x + form.w).toBeLessThanOrEqual(view.w - margins.side + 1e-9);
    expect(over.y).toBeGreaterThanOrEqual(margins.top);
    expect(over.y + form.h).toBeLessThanOrEqual(view.h - margins.bottom);
    expect(placeNextTo({ x: 500, y: 100, w: 200, h: 100 }, bar, view).x).toBe(view.w - margins.side - bar.w);
  });
});
