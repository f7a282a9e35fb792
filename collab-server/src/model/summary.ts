// The plain JSON summary of a comic (pages, panels, pictures and lettering with their place on the page) that
// the reader, the gallery, exports and moderation use, so that reading a comic never needs tldraw. Its shape is
// @inkwell/db's contract. Rotation is not carried: shapes are placed by their unrotated boxes.
import type { TLAsset, TLImageShapeProps, TLPage, TLRecord, TLShape } from '@tldraw/tlschema';
import type { ComicSummary, Lettering, PageSummary, PanelArt, PanelSummary } from '@inkwell/db';
import {
  CAPTION,
  COMIC_PANEL,
  type CaptionProps,
  type LetteringFont,
  SPEECH_BUBBLE,
  type SpeechBubbleProps,
  comicLetteringFont,
  letteringFontOf,
} from './shapes.ts';

export type { ComicSummary, Lettering, PageSummary, PanelArt, PanelSummary } from '@inkwell/db';

const MEDIA_SRC = /^\/api\/v1\/media\/([0-9a-f-]{36})\/file$/i;

/** The media id an asset points to, when its src is one of our media files. */
export function mediaIdOf(asset: TLAsset | undefined): string | undefined {
  const src = asset?.type === 'image' ? asset.props.src : undefined;
  return src ? MEDIA_SRC.exec(src)?.[1] : undefined;
}

/** Every picture of ours the records hold, in a panel or not: what deleting one of them would break. */
export function mediaIdsOf(records: Iterable<TLRecord>): string[] {
  const ids = new Set<string>();
  for (const record of records) {
    const mediaId = record.typeName === 'asset' ? mediaIdOf(record) : undefined;
    if (mediaId) ids.add(mediaId.toLowerCase());
  }
  return [...ids];
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
  const shapes = new Map<string, TLShape>();
  const assets = new Map<string, TLAsset>();
  let comicFont: LetteringFont | null = null;
  for (const record of records) {
    if (record.typeName === 'document') comicFont = comicLetteringFont(record);
    if (record.typeName === 'page') pages.push(record);
    else if (record.typeName === 'shape') shapes.set(record.id, record);
    else if (record.typeName === 'asset') assets.set(record.id, record);
  }
  const byIndex = <T extends { index: string }>(a: T, b: T) => (a.index < b.index ? -1 : a.index > b.index ? 1 : 0);
  const children = new Map<string, TLShape[]>();
  for (const shape of [...shapes.values()].sort(byIndex)) {
    const siblings = children.get(shape.parentId) ?? [];
    siblings.push(shape);
    children.set(shape.parentId, siblings);
  }
  const descendants = (id: string): TLShape[] => (children.get(id) ?? []).flatMap((child) => [child, ...descendants(child.id)]);
  // A child's x and y are relative to its parent shape: add up the chain to reach the page.
  const onPage = (shape: TLShape): { x: number; y: number } => {
    const parent = shapes.get(shape.parentId);
    if (!parent) return { x: shape.x, y: shape.y };
    const origin = onPage(parent);
    return { x: origin.x + shape.x, y: origin.y + shape.y };
  };
  // The whole picture's box: a cropped image shows part of it, so the whole reaches past the shape.
  const artOf = (shape: TLShape): PanelArt | undefined => {
    const { assetId, w, h, crop } = shape.props as TLImageShapeProps;
    const mediaId = mediaIdOf(assets.get(assetId ?? ''));
    if (!mediaId) return undefined;
    const at = onPage(shape);
    if (!crop) return { mediaId, ...box(at, w, h) };
    const fullW = w / (crop.bottomRight.x - crop.topLeft.x);
    const fullH = h / (crop.bottomRight.y - crop.topLeft.y);
    return { mediaId, ...box({ x: at.x - crop.topLeft.x * fullW, y: at.y - crop.topLeft.y * fullH }, fullW, fullH) };
  };

  return {
    pages: pages.sort(byIndex).map((page) => {
      const top = children.get(page.id) ?? [];
      const panels = readingOrder(top.filter((shape) => shape.type === COMIC_PANEL)).map((panel): PanelSummary => {
        const { w, h } = panel.props as { w: number; h: number };
        const inside = descendants(panel.id);
        // Text dropped on the page over a panel, rather than into it, still belongs to that panel.
        const over = top.filter((shape) => isText(shape) && containsCenter(panel, w, h, shape));
        const lettering = [...inside.filter(isText), ...over].map((shape) => letteringOf(shape, onPage(shape), comicFont));
        const art = inside.filter((shape) => shape.type === 'image').flatMap((shape) => artOf(shape) ?? []);
        return {
          id: panel.id,
          ...box(panel, w, h),
          images: art.map((a) => a.mediaId),
          text: lettering.map((l) => l.text).filter(Boolean),
          art,
          lettering,
        };
      });
      return { id: page.id, name: page.name, bounds: boundsOf(panels), panels };
    }),
  };
}

function isText(shape: TLShape): boolean {
  return shape.type === SPEECH_BUBBLE || shape.type === CAPTION;
}

function letteringOf(shape: TLShape, at: { x: number; y: number }, comicFont: LetteringFont | null): Lettering {
  const props = shape.props as SpeechBubbleProps | CaptionProps;
  const bubble = 'tail' in props ? props : null;
  const { w, h } = props;
  return {
    id: shape.id,
    kind: bubble ? bubble.kind : 'caption',
    ...box(at, w, h),
    // Stored normalised to the bubble's box: turned into a point on the page.
    tail: bubble ? { x: round(at.x + bubble.tail.x * w), y: round(at.y + bubble.tail.y * h) } : null,
    text: richTextToPlain(props.richText).trim(),
    // The lettering font when one is chosen (for the bubble, or the comic's default), else tldraw's font style.
    font: letteringFontOf(props, comicFont) ?? props.font,
    size: props.size,
    align: props.align,
    color: props.color,
  };
}

function box(at: { x: number; y: number }, w: number, h: number) {
  return { x: round(at.x), y: round(at.y), w: round(w), h: round(h) };
}

function boundsOf(panels: PanelSummary[]): PageSummary['bounds'] {
  if (panels.length === 0) return null;
  const left = Math.min(...panels.map((p) => p.x));
  const top = Math.min(...panels.map((p) => p.y));
  return box({ x: left, y: top }, Math.max(...panels.map((p) => p.x + p.w)) - left, Math.max(...panels.map((p) => p.y + p.h)) - top);
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
  // + 0 turns -0 into 0, which JSON would write as 0 anyway.
  return Math.round(value * 100) / 100 + 0;
}
