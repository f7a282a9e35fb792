// A small SVG of the first page's panel layout, as a data: URL that fits `comics.thumbnail_url`
// (varchar 2048): panels with a picture are filled, empty ones are outlined.
import type { ComicSummary, PanelSummary } from './model/index.ts';

const MAX_LENGTH = 2048;
const PAD = 20;

export function comicThumbnail(summary: ComicSummary): string | null {
  const panels = summary.pages[0]?.panels ?? [];
  if (panels.length === 0) return null;
  const left = Math.min(...panels.map((p) => p.x)) - PAD;
  const top = Math.min(...panels.map((p) => p.y)) - PAD;
  const width = Math.max(...panels.map((p) => p.x + p.w)) - left + PAD;
  const height = Math.max(...panels.map((p) => p.y + p.h)) - top + PAD;
  const open = `<svg xmlns='http://www.w3.org/2000/svg' viewBox='${[left, top, width, height].map(Math.round).join(' ')}'>`;
  const background = `<rect x='${Math.round(left)}' y='${Math.round(top)}' width='${Math.round(width)}' height='${Math.round(height)}' fill='#fff'/>`;
  const group = `<g stroke='#222' stroke-width='${Math.max(2, Math.round(width / 150))}' fill='#fff'>`;
  const close = '</g></svg>';
  let body = '';
  // Panels in reading order until the URL is full: a page of many panels still gets its first ones.
  for (const panel of panels) {
    const next = body + rect(panel);
    if (toDataUrl(open + background + group + next + close).length > MAX_LENGTH) break;
    body = next;
  }
  return toDataUrl(open + background + group + body + close);
}

function rect(panel: PanelSummary): string {
  const fill = panel.images.length > 0 ? " fill='#8a8f98'" : '';
  return `<rect x='${Math.round(panel.x)}' y='${Math.round(panel.y)}' width='${Math.round(panel.w)}' height='${Math.round(panel.h)}'${fill}/>`;
}

/** Percent-encodes only what a data: URL needs, so the SVG stays small. */
function toDataUrl(svg: string): string {
  return `data:image/svg+xml,${svg.replaceAll('%', '%25').replaceAll('#', '%23').replaceAll('<', '%3C').replaceAll('>', '%3E')}`;
}
