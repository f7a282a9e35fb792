// Lettering a panel from a page script: its lines of dialogue and captions become real speech bubbles and
// captions, placed in the panel's free area below any lettering already there, top to bottom in the order
// written, and stacked above everything in the panel. A plain function of a Y.Doc, like the other edits.
import { type TLRecord, type TLShape, type TLShapeId, toRichText } from '@tldraw/tlschema';
import { getIndicesAbove } from '@tldraw/utils';
import type { PanelScriptLine } from '@inkwell/workflows';
import type * as Y from 'yjs';
import { migrateDoc, putRecords, recordsOf } from './doc.ts';
import {
  CAPTION,
  COMIC_PANEL,
  type CaptionShape,
  type ComicPanelShape,
  SPEECH_BUBBLE,
  type SpeechBubbleShape,
  defaultCaptionProps,
  defaultSpeechBubbleProps,
} from './shapes.ts';

/** Letterings already written, by key (a panel job's id): what makes a retried edit a no-op. */
export const LETTERED_MAP = 'lettered';

/** A line of dialogue (its speaker kept in the bubble's meta) or a caption. */
export type PanelLine = PanelScriptLine;

export interface PanelLettering {
  panelId: string;
  /** Once per key, ever: the same key again writes nothing, even after the bubbles were deleted. */
  key: string;
  lines: readonly PanelLine[];
}

export type LetterResult = { status: 'lettered'; shapeIds: TLShapeId[] } | { status: 'already-lettered' } | { status: 'panel-missing' };

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

// Roughly how the canvas letters them (tldraw's labels at size m for bubbles, s for captions): enough to
// size a box that fits its words; the caption grows to its text on the canvas anyway.
const BUBBLE_FONT = 22;
const CAPTION_FONT = 18;
const CHAR_WIDTH = 0.6;
const LINE_HEIGHT = 1.35;
const CAPTION_PADDING = 10;
/** The part of an ellipse's box that holds text. */
const ELLIPSE_TEXT = 0.7;

/** The size of a caption or bubble for `text` in a panel `panelWidth` wide. */
export function letteringSize(line: PanelLine, panelWidth: number): { w: number; h: number } {
  const margin = marginOf(panelWidth);
  const widest = Math.max(60, panelWidth - 2 * margin);
  // Words wrap at spaces, so lines are never quite full.
  const length = line.text.length * 1.15 + 2;
  if (line.kind === 'caption') {
    const w = Math.min(widest, Math.max(160, panelWidth * 0.7));
    const perLine = Math.max(1, Math.floor((w - 2 * CAPTION_PADDING) / (CAPTION_FONT * CHAR_WIDTH)));
    return { w: Math.round(w), h: Math.round(Math.ceil(length / perLine) * CAPTION_FONT * LINE_HEIGHT + 2 * CAPTION_PADDING) };
  }
  // A bubble about twice as wide as tall, big enough for its words inside the ellipse.
  const area = (length * CHAR_WIDTH * BUBBLE_FONT * LINE_HEIGHT * BUBBLE_FONT) / (ELLIPSE_TEXT * ELLIPSE_TEXT);
  const w = Math.min(widest, Math.max(140, Math.sqrt(area * 2), panelWidth * 0.45));
  const perLine = Math.max(1, Math.floor((w * ELLIPSE_TEXT) / (BUBBLE_FONT * CHAR_WIDTH)));
  const h = (Math.ceil(length / perLine) * BUBBLE_FONT * LINE_HEIGHT) / ELLIPSE_TEXT + 16;
  return { w: Math.round(w), h: Math.round(Math.max(70, h)) };
}

const marginOf = (panelWidth: number) => Math.max(8, Math.round(panelWidth * 0.04));

/**
 * Where each line goes in a `w`×`h` panel whose free area starts at `top` (panel coordinates): one under the
 * other in the order written, captions on the left, bubbles alternating left and right so the eye zigzags
 * down the panel in reading order. The gaps shrink when the lines barely fit.
 */
export function placeLettering(lines: readonly PanelLine[], panel: { w: number; h: number }, top: number): Box[] {
  const margin = marginOf(panel.w);
  const sizes = lines.map((line) => letteringSize(line, panel.w));
  const needed = sizes.reduce((sum, size) => sum + size.h, 0);
  const room = panel.h - top - margin;
  const gap = lines.length > 1 ? Math.max(2, Math.min(margin, (room - needed) / (lines.length - 1))) : 0;
  let y = top;
  let bubbles = 0;
  return sizes.map((size, i) => {
    const right = lines[i]!.kind !== 'caption' && bubbles++ % 2 === 1;
    const box = { x: right ? panel.w - margin - size.w : margin, y: Math.round(y), ...size };
    y += size.h + gap;
    return box;
  });
}

/**
 * Writes a panel's lines as bubbles and captions (its children), above everything in it, below the lettering
 * it already has. Idempotent per key.
 */
export function letterPanel(doc: Y.Doc, input: PanelLettering): LetterResult {
  const done = doc.getMap<{ panelId: string; shapeIds: string[] }>(LETTERED_MAP);
  if (done.has(input.key)) return { status: 'already-lettered' };
  migrateDoc(doc);
  const records = recordsOf(doc);
  const panel = records.get(input.panelId as TLRecord['id']);
  if (panel?.typeName !== 'shape' || panel.type !== COMIC_PANEL) return { status: 'panel-missing' };
  const { w, h } = (panel as ComicPanelShape).props;

  const children = [...records.values()].filter((r): r is TLShape => r.typeName === 'shape' && r.parentId === panel.id);
  const margin = marginOf(w);
  const lettered = children.filter((child) => child.type === SPEECH_BUBBLE || child.type === CAPTION);
  const top = Math.min(h - margin, Math.max(margin, ...lettered.map((child) => child.y + (child.props as { h: number }).h + margin)));
  const boxes = placeLettering(input.lines, { w, h }, top);
  const highest = children.reduce<TLShape['index'] | undefined>((max, child) => (max === undefined || child.index > max ? child.index : max), undefined);
  const indices = getIndicesAbove(highest, input.lines.length);

  const shapes = input.lines.map((line, i): SpeechBubbleShape | CaptionShape => {
    const box = boxes[i]!;
    const base = {
      id: `shape:letter-${input.key}-${i}` as TLShapeId,
      typeName: 'shape' as const,
      x: box.x,
      y: box.y,
      rotation: 0,
      index: indices[i]!,
      parentId: panel.id,
      isLocked: false,
      opacity: 1,
    };
    if (line.kind === 'caption') {
      return { ...base, type: CAPTION, props: { ...defaultCaptionProps(), w: box.w, h: box.h, richText: toRichText(line.text) }, meta: {} };
    }
    // The tail points down towards the middle of the panel, where the speakers are likely drawn.
    const onRight = box.x + box.w / 2 > w / 2;
    return {
      ...base,
      type: SPEECH_BUBBLE,
      props: { ...defaultSpeechBubbleProps(), w: box.w, h: box.h, kind: line.kind, richText: toRichText(line.text), tail: { x: onRight ? 0.3 : 0.7, y: 1.45 } },
      meta: line.speaker ? { speaker: line.speaker } : {},
    };
  });
  doc.transact(() => {
    putRecords(doc, shapes);
    done.set(input.key, { panelId: panel.id, shapeIds: shapes.map((shape) => shape.id) });
  });
  return { status: 'lettered', shapeIds: shapes.map((shape) => shape.id) };
}
