// One page of a comic summary as a PNG, drawn like the canvas draws it: a white page, each panel's pictures
// placed by their boxes and clipped to the panel, black panel borders, speech bubbles and captions, and,
// when asked, their lettering in tldraw's own fonts (see lib/lettering.ts). Pictures are composited with
// sharp; everything else is one SVG in page coordinates laid over them.
import sharp, { type OverlayOptions } from 'sharp';
import type { Lettering, PageSummary, PanelSummary } from '@inkwell/db';
import { glyphPaths, inkOf, layOutLettering, strokeWidthOf } from '../lib/lettering.ts';

export interface RenderOptions {
  /** The image's width in pixels; its height follows the page's proportions. */
  width: number;
  lettering: boolean;
  /** A picture's bytes, or null when it is gone (deleted): its panel is then drawn empty. */
  loadMedia(mediaId: string): Promise<Buffer | null>;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The canvas's panel border: 6 units wide, just outside the panel, where the panel's clip never covers it. */
const BORDER = 6;
const BORDER_COLOR = '#111111';
/** White around the panels' outer borders, in canvas units: the border and as much again. */
export const PAGE_MARGIN = 2 * BORDER;
/** Caption boxes are pale yellow, as in print. */
const CAPTION_PAPER = '#fff4c7';
/** A page with no panels at all is drawn blank, at paper proportions. */
const BLANK_PAGE_RATIO = Math.SQRT2;
/** Pictures larger than this on the page (a box zoomed far past its panel) are left out rather than resized. */
const MAX_ART_PIXELS = 100_000_000;

const finite = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const fmt = (value: unknown) => finite(value).toFixed(2);

/** The area a page image covers, in page coordinates: the page's bounds, or the panels' when it has none. */
export function pageArea(page: PageSummary): Box {
  if (page.bounds && page.bounds.w > 0 && page.bounds.h > 0) return page.bounds;
  const panels = page.panels ?? [];
  if (panels.length === 0) return { x: 0, y: 0, w: 1000, h: 1000 * BLANK_PAGE_RATIO };
  const left = Math.min(...panels.map((p) => p.x));
  const top = Math.min(...panels.map((p) => p.y));
  const right = Math.max(...panels.map((p) => p.x + p.w));
  const bottom = Math.max(...panels.map((p) => p.y + p.h));
  return { x: left, y: top, w: Math.max(1, right - left), h: Math.max(1, bottom - top) };
}

/**
 * The page with a white margin of PAGE_MARGIN around its area. The summary's bounds hug the panels, and
 * the borders of the panels on the edges lie outside them: drawn with this, those borders show.
 */
export function withMargin(page: PageSummary): PageSummary {
  const area = pageArea(page);
  return { ...page, bounds: { x: area.x - PAGE_MARGIN, y: area.y - PAGE_MARGIN, w: area.w + 2 * PAGE_MARGIN, h: area.h + 2 * PAGE_MARGIN } };
}

/** The pixel size of a page drawn `width` pixels wide. */
export function pageSize(page: PageSummary, width: number): { width: number; height: number } {
  const area = pageArea(page);
  return { width, height: Math.max(1, Math.round((area.h * width) / area.w)) };
}

interface Point {
  x: number;
  y: number;
}

const pathOf = (points: Point[]) => `M${points.map((p) => `${fmt(p.x)},${fmt(p.y)}`).join('L')}Z`;

const circle = (c: Point, r: number) => `M${fmt(c.x - r)},${fmt(c.y)}a${fmt(r)},${fmt(r)} 0 1,0 ${fmt(2 * r)},0a${fmt(r)},${fmt(r)} 0 1,0 ${fmt(-2 * r)},0Z`;

/**
 * A bubble's balloon, outlined as the canvas outlines it: an ellipse for speech and thought, an 18-point
 * burst for a shout, with the tail drawn into the outline (its base narrower the further its tip goes);
 * a thought's tail is a trail of three shrinking circles instead.
 */
function balloon(item: Lettering): string {
  const { x, y, w, h } = item;
  const at = (angle: number, scale = 1): Point => ({ x: x + w / 2 + Math.cos(angle) * (w / 2) * scale, y: y + h / 2 + Math.sin(angle) * (h / 2) * scale });
  const shout = item.kind === 'shout';
  const steps = shout ? 36 : 64;
  // Where the tip lies in radii of the body's ellipse (1 = on its edge), and in which direction.
  const tip = item.tail && { x: finite(item.tail.x), y: finite(item.tail.y) };
  const nx = tip ? (tip.x - x - w / 2) / (w / 2) : 0;
  const ny = tip ? (tip.y - y - h / 2) / (h / 2) : 1;
  const angle = Math.atan2(ny, nx);
  const pointed = tip && item.kind !== 'thought';
  const half = pointed ? Math.max(0.12, Math.min(0.32, 0.42 / Math.max(1e-6, Math.hypot(nx, ny)))) : 0;
  // Around the body from one side of the tail's base to the other (all the way round without a tail).
  const outline: Point[] = pointed ? [tip] : [];
  for (let i = 0; i <= steps; i++) {
    const spike = shout && i % 2 === 1 && i !== steps ? 0.8 : 1;
    outline.push(at(angle + half + (Math.PI * 2 - 2 * half) * (i / steps), spike));
  }
  const paths = [pathOf(outline)];
  if (tip && item.kind === 'thought') {
    const edge = at(angle);
    const radius = Math.max(4, Math.min(w, h) * 0.09);
    for (const [i, t] of [0.28, 0.6, 0.92].entries()) {
      paths.push(circle({ x: edge.x + (tip.x - edge.x) * t, y: edge.y + (tip.y - edge.y) * t }, radius * (1 - i * 0.3)));
    }
  }
  return `<g fill="#ffffff" stroke="${inkOf(item.color)}" stroke-width="${strokeWidthOf(item.size)}" stroke-linejoin="round">${paths.map((d) => `<path d="${d}"/>`).join('')}</g>`;
}

function captionBox(item: Lettering): string {
  const stroke = strokeWidthOf(item.size) / 1.5;
  return `<rect x="${fmt(item.x)}" y="${fmt(item.y)}" width="${fmt(item.w)}" height="${fmt(item.h)}" fill="${CAPTION_PAPER}" stroke="${inkOf(item.color)}" stroke-width="${stroke}"/>`;
}

/** Borders, balloons and (when asked) lettering, in page coordinates; each panel's bubbles are clipped to it like its pictures. */
async function overlay(panels: PanelSummary[], area: Box, size: { width: number; height: number }, lettering: boolean): Promise<string> {
  const layers: string[] = [];
  for (const [i, panel] of panels.entries()) {
    const rect = `x="${fmt(panel.x)}" y="${fmt(panel.y)}" width="${fmt(panel.w)}" height="${fmt(panel.h)}"`;
    const items: string[] = [];
    for (const item of panel.lettering ?? []) {
      items.push(item.kind === 'caption' ? captionBox(item) : balloon(item));
      if (lettering && item.text.trim()) items.push(glyphPaths(await layOutLettering(item)));
    }
    layers.push(`<clipPath id="panel-${i}"><rect ${rect}/></clipPath><g clip-path="url(#panel-${i})">${items.join('')}</g>`);
    layers.push(
      `<rect x="${fmt(panel.x - BORDER / 2)}" y="${fmt(panel.y - BORDER / 2)}" width="${fmt(panel.w + BORDER)}" height="${fmt(panel.h + BORDER)}" fill="none" stroke="${BORDER_COLOR}" stroke-width="${BORDER}"/>`,
    );
  }
  const viewBox = `${fmt(area.x)} ${fmt(area.y)} ${fmt(area.w)} ${fmt(area.h)}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size.width}" height="${size.height}" viewBox="${viewBox}" preserveAspectRatio="none">${layers.join('')}</svg>`;
}

/** A picture resized to its box and cut to the part inside its panel (and the page), ready to composite; null when none shows. */
async function artLayer(bytes: Buffer, art: Box, panel: Box, area: Box, scale: number, size: { width: number; height: number }) {
  const px = (v: number, origin: number) => Math.round((v - origin) * scale);
  const box = { left: px(art.x, area.x), top: px(art.y, area.y), width: Math.round(art.w * scale), height: Math.round(art.h * scale) };
  const left = Math.max(box.left, px(panel.x, area.x), 0);
  const top = Math.max(box.top, px(panel.y, area.y), 0);
  const right = Math.min(box.left + box.width, px(panel.x + panel.w, area.x), size.width);
  const bottom = Math.min(box.top + box.height, px(panel.y + panel.h, area.y), size.height);
  if (right <= left || bottom <= top || box.width * box.height > MAX_ART_PIXELS) return null;
  const input = await sharp(bytes)
    .resize(box.width, box.height, { fit: 'fill' })
    .extract({ left: left - box.left, top: top - box.top, width: right - left, height: bottom - top })
    .png()
    .toBuffer();
  return { input, left, top };
}

/**
 * Renders one page of a comic summary to a PNG `width` pixels wide covering the page's bounds (`pageArea`). Pictures
 * that are gone or cannot be decoded leave their panel empty; the render itself does not fail for them.
 */
export async function renderPage(page: PageSummary, options: { width: number; lettering: boolean; loadMedia(mediaId: string): Promise<Buffer | null> }): Promise<Buffer> {
  const area = pageArea(page);
  const size = pageSize(page, Math.max(1, Math.round(options.width)));
  const scale = size.width / area.w;
  const panels = page.panels ?? [];
  const layers: OverlayOptions[] = [];
  for (const panel of panels) {
    for (const art of panel.art ?? []) {
      const bytes = await options.loadMedia(art.mediaId).catch(() => null);
      if (!bytes) continue;
      const layer = await artLayer(bytes, art, panel, area, scale, size).catch(() => null);
      if (layer) layers.push(layer);
    }
  }
  layers.push({ input: Buffer.from(await overlay(panels, area, size, options.lettering)), left: 0, top: 0 });
  return sharp({ create: { width: size.width, height: size.height, channels: 3, background: '#ffffff' } })
    .composite(layers)
    .png()
    .toBuffer();
}
