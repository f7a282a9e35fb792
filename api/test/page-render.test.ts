// Page images drawn from a comic summary, checked pixel by pixel: pictures clipped to their panel, the
// lettering drawn in its balloon only when asked, pictures that are gone leaving an empty panel.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Lettering, PageSummary } from '@inkwell/db';
import { layOutLettering, letteringFont, textBoxOf } from '../src/lib/lettering.ts';
import { PAGE_MARGIN, pageArea, renderPage, withMargin } from '../src/services/page-render.ts';

const RED = { r: 255, g: 0, b: 0 };

const bubble = (over: Partial<Lettering> = {}): Lettering => ({
  id: 'bubble',
  kind: 'speech',
  x: 520,
  y: 120,
  w: 300,
  h: 200,
  tail: { x: 600, y: 420 },
  text: 'Who keeps the light tonight?',
  font: 'draw',
  size: 'm',
  align: 'middle',
  color: 'black',
  ...over,
});

/** A 1000×600 page: panel A holds a red picture that reaches past it on every side; panel B, on the right edge, a bubble. */
function page(lettering: Lettering[] = [bubble()]): PageSummary {
  return {
    id: 'page:1',
    name: 'Page 1',
    bounds: { x: 0, y: 0, w: 1000, h: 600 },
    panels: [
      { id: 'a', x: 100, y: 100, w: 300, h: 400, images: ['red'], text: [], art: [{ mediaId: 'red', x: 20, y: 20, w: 460, h: 560 }], lettering: [] },
      { id: 'b', x: 500, y: 100, w: 500, h: 400, images: [], text: [], art: [], lettering },
    ],
  };
}

async function picture(color: string) {
  return sharp({ create: { width: 40, height: 40, channels: 3, background: color } }).png().toBuffer();
}

async function render(summary: PageSummary, lettering: boolean, loadMedia = async (id: string) => (id === 'red' ? picture('#ff0000') : null)) {
  const png = await renderPage(summary, { width: 500, lettering, loadMedia });
  const area = pageArea(summary);
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  /** The pixel at page coordinates (x, y). */
  const at = (x: number, y: number) => {
    const scale = info.width / area.w;
    const i = (Math.floor((y - area.y) * scale) * info.width + Math.floor((x - area.x) * scale)) * info.channels;
    return { r: data[i]!, g: data[i + 1]!, b: data[i + 2]! };
  };
  /** The pixels that are not white inside a box of page coordinates. */
  const inked = (box: { x: number; y: number; w: number; h: number }) => {
    let count = 0;
    for (let y = box.y; y < box.y + box.h; y += 2) for (let x = box.x; x < box.x + box.w; x += 2) if (Object.values(at(x, y)).some((v) => v < 250)) count++;
    return count;
  };
  return { png, info, at, inked };
}

describe('page render', () => {
  it('draws a PNG of the page bounds at the asked width', async () => {
    const { png, info } = await render(page(), true);
    expect((await sharp(png).metadata()).format).toBe('png');
    expect([info.width, info.height]).toEqual([500, 300]);
  });

  it('draws the outer panels’ borders in a margin around the bounds when given one', async () => {
    // Panel B ends on the bounds' right edge: its border (1000..1006) lies outside them.
    const framed = withMargin(page());
    expect(framed.bounds).toEqual({ x: -PAGE_MARGIN, y: -PAGE_MARGIN, w: 1000 + 2 * PAGE_MARGIN, h: 600 + 2 * PAGE_MARGIN });
    const { at } = await render(framed, false);
    expect(Object.values(at(1003, 300)).every((v) => v < 40)).toBe(true);
    expect(at(1009, 300)).toEqual({ r: 255, g: 255, b: 255 });
  });

  it('clips a picture to its panel: its colour inside, white page outside the panel and its border', async () => {
    const { at } = await render(page(), false);
    expect(at(250, 300)).toEqual(RED);
    expect(at(110, 110)).toEqual(RED);
    // The picture's box reaches to 20..480 × 20..580, but the panel (and its 6-unit border) stops at 94..406.
    for (const [x, y] of [[40, 300], [250, 40], [450, 300], [250, 560]] as const) expect(at(x, y)).toEqual({ r: 255, g: 255, b: 255 });
    // The border is drawn, black, just outside the panel.
    expect(Object.values(at(97, 300)).every((v) => v < 40)).toBe(true);
  });

  it('letters a bubble inside its text box only when asked', async () => {
    // The middle of the text box: its corners touch the balloon's outline.
    const box = textBoxOf(bubble());
    const inner = { x: box.x + box.w * 0.1, y: box.y + box.h * 0.1, w: box.w * 0.8, h: box.h * 0.8 };
    const lettered = await render(page(), true);
    const bare = await render(page(), false);
    expect(lettered.inked(inner)).toBeGreaterThan(50);
    expect(bare.inked(inner)).toBe(0);
    // The balloon itself is drawn either way: its outline left of the text box.
    expect(bare.inked({ x: 515, y: 210, w: 12, h: 20 })).toBeGreaterThan(0);
  });

  it('draws a panel empty when its picture is gone or cannot be read', async () => {
    for (const loadMedia of [async () => null, async () => Buffer.from('not an image'), () => Promise.reject(new Error('storage down'))]) {
      const { at } = await render(page(), false, loadMedia);
      expect(at(250, 300)).toEqual({ r: 255, g: 255, b: 255 });
    }
  });

  it('reads older summaries without geometry and pages without panels', async () => {
    const old = { id: 'p', name: 'Page 1', bounds: null, panels: [] } as PageSummary;
    const { info } = await render(old, true);
    expect(info.width).toBe(500);
  });
});

describe('lettering layout', () => {
  it('wraps at word boundaries within the text box, in the font tldraw ships for the style', async () => {
    const item = bubble({ text: 'Who keeps the light tonight when the storm comes in?' });
    const laid = await layOutLettering(item);
    const box = textBoxOf(item);
    expect(laid.lines.length).toBeGreaterThan(1);
    expect(laid.lines.map((l) => l.text).join(' ')).toBe(item.text);
    for (const line of laid.lines) expect(line.width).toBeLessThanOrEqual(box.w + 0.01);
    // tldraw's label sizes: 16 × 1.375 for 'm'.
    expect(laid.fontSize).toBe(22);
    expect(laid.font.font.familyName).toBe('Shantell Sans Informal');
    expect((await letteringFont('mono')).font.familyName).toMatch(/^IBM Plex Mono/);
  });

  it('breaks a word longer than the line anywhere, and sets text too tall for its box smaller', async () => {
    const long = await layOutLettering(bubble({ text: 'Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }));
    expect(long.lines.length).toBeGreaterThan(1);
    const crowded = bubble({ w: 160, h: 100, text: 'Far too many words for so small a bubble' });
    const laid = await layOutLettering(crowded);
    expect(laid.fontSize).toBeLessThan(22);
    expect(laid.lines.length * laid.fontSize * 1.35).toBeLessThanOrEqual(textBoxOf(crowded).h + 0.01);
  });
});
