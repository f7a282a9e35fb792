// The plain JSON summary of a comic (pages, panels, image references, text) that the reader, the gallery
// and moderation use, so that reading a comic never needs tldraw.
import type { TLAsset, TLPage, TLRecord, TLShape } from '@tldraw/tlschema';
import { CAPTION, COMIC_PANEL, SPEECH_BUBBLE } from './shapes.ts';

export interface PanelSummary {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  /** Media ids of the images in the panel, bottom to top. */
  images: string[];
  /** Plain text of the speech bubbles and captions in the panel. */
  text: string[];
}

export interface PageSummary {
  id: string;
  name: string;
  /** In reading order: rows top to bottom, left to right within a row. */
  panels: PanelSummary[];
}

export interface ComicSummary {
  pages: PageSummary[];
}

const MEDIA_SRC = /^\/api\/v1\/media\/([0-9a-f-]{36})\/file$/i;

/** The media id an asset points to, when its src is one of our media files. */
export function mediaIdOf(asset: TLAsset | undefined): string | undefined {
  const src = asset?.type === 'image' ? asset.props.src : undefined;
  return src ? MEDIA_SRC.exec(src)?.[1] : undefined;
}

/** The text of a tldraw rich text (TipTap JSON), paragraphs on their own lines. */
export function richTextToPlain(node: unknown): string {
  if (!node || typeof node !== 'object') return '';
  const { type, text, content } = node as { type?: string; text?: unknown; content?: unknown };
  if (typeof text === 'string') return text;
  if (type === 'hardBreak') return '\n';
  if (!Array.isArray(content)) return '';
  const parts = content.map(richTextToPlain);
  return type === 'doc' || type === 'bulletList' || type === 'orderedList' ? parts.join('\n') : parts.join('');
}

export function summarizeComic(records: Iterable<TLRecord>): ComicSummary {
  const pages: TLPage[] = [];
  const shapes: TLShape[] = [];
  const assets = new Map<string, TLAsset>();
  for (const record of records) {
    if (record.typeName === 'page') pages.push(record);
    else if (record.typeName === 'shape') shapes.push(record);
    else if (record.typeName === 'asset') assets.set(record.id, record);
  }
  const byIndex = <T extends { index: string }>(a: T, b: T) => (a.index < b.index ? -1 : a.index > b.index ? 1 : 0);
  const children = new Map<string, TLShape[]>();
  for (const shape of [...shapes].sort(byIndex)) {
    const siblings = children.get(shape.parentId) ?? [];
    siblings.push(shape);
    children.set(shape.parentId, siblings);
  }
  const descendants = (id: string): TLShape[] => (children.get(id) ?? []).flatMap((child) => [child, ...descendants(child.id)]);

  return {
    pages: pages.sort(byIndex).map((page) => {
      const onPage = children.get(page.id) ?? [];
      const panels = onPage.filter((shape) => shape.type === COMIC_PANEL);
      // Text dropped on the page over a panel, rather than into it, still belongs to that panel.
      const loose = onPage.filter(isText);
      return {
        id: page.id,
        name: page.name,
        panels: readingOrder(panels).map((panel) => {
          const { w, h } = panel.props as { w: number; h: number };
          const inside = descendants(panel.id);
          const over = loose.filter((shape) => containsCenter(panel, w, h, shape));
          return {
            id: panel.id,
            x: round(panel.x),
            y: round(panel.y),
            w: round(w),
            h: round(h),
            images: inside
              .filter((shape) => shape.type === 'image')
              .map((shape) => mediaIdOf(assets.get((shape.props as { assetId: string | null }).assetId ?? '')))
              .filter((id): id is string => id !== undefined),
            text: [...inside.filter(isText), ...over]
              .map((shape) => richTextToPlain((shape.props as { richText: unknown }).richText).trim())
              .filter(Boolean),
          };
        }),
      };
    }),
  };
}

function isText(shape: TLShape): boolean {
  return shape.type === SPEECH_BUBBLE || shape.type === CAPTION;
}

function containsCenter(panel: TLShape, w: number, h: number, shape: TLShape): boolean {
  const size = shape.props as { w?: number; h?: number };
  const cx = shape.x + (size.w ?? 0) / 2;
  const cy = shape.y + (size.h ?? 0) / 2;
  return cx >= panel.x && cx <= panel.x + w && cy >= panel.y && cy <= panel.y + h;
}

/** Rows top to bottom (a panel starting above the middle of the row's first panel joins it), then left to right. */
function readingOrder(panels: TLShape[]): TLShape[] {
  const rows: TLShape[][] = [];
  for (const panel of [...panels].sort((a, b) => a.y - b.y || a.x - b.x)) {
    const row = rows.at(-1);
    const first = row?.[0];
    if (row && first && panel.y < first.y + (first.props as { h: number }).h / 2) row.push(panel);
    else rows.push([panel]);
  }
  return rows.flatMap((row) => row.sort((a, b) => a.x - b.x));
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
