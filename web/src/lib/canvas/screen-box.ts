// Where a shape is on screen, and where a floating tool goes next to it: the canvas's screen-space layer
// (tldraw's InFrontOfTheCanvas) places the panel's progress card and tools with these.
import { type Editor, type TLShapeId, useValue } from 'tldraw';

export interface ScreenBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A shape's box on screen, relative to the canvas, following the camera. */
export function useScreenBox(editor: Editor, id: TLShapeId | undefined): ScreenBox | null {
  return useValue(
    'screen box',
    () => {
      const bounds = id ? editor.getShapePageBounds(id) : undefined;
      if (!bounds) return null;
      const from = editor.pageToViewport({ x: bounds.minX, y: bounds.minY });
      const to = editor.pageToViewport({ x: bounds.maxX, y: bounds.maxY });
      return { x: from.x, y: from.y, w: to.x - from.x, h: to.y - from.y };
    },
    [editor, id],
  );
}

/**
 * Room kept free for tldraw's own menus along the top and toolbar along the bottom, and at the sides. On a
 * narrow canvas (tldraw's mobile layout) its actions (undo, delete…) sit in a second row above the toolbar.
 */
export const marginsFor = (view: { w: number }) => ({ top: 52, bottom: view.w < 640 ? 112 : 64, side: 8, gap: 8 });

/**
 * Where a floating box of `size` goes for the shape at `target`, within a canvas of `view` size: centred
 * under the shape when there is room, else above it, else as near as the canvas allows (over the shape).
 */
export function placeNextTo(target: ScreenBox, size: { w: number; h: number }, view: { w: number; h: number }): { x: number; y: number } {
  const margins = marginsFor(view);
  const clamp = (value: number, low: number, high: number) => Math.max(low, Math.min(value, Math.max(low, high)));
  const x = clamp(target.x + target.w / 2 - size.w / 2, margins.side, view.w - margins.side - size.w);
  const below = target.y + target.h + margins.gap;
  const above = target.y - margins.gap - size.h;
  const lowest = view.h - margins.bottom - size.h;
  if (below <= lowest) return { x, y: Math.max(below, margins.top) };
  if (above >= margins.top) return { x, y: Math.min(above, lowest) };
  return { x, y: clamp(below, margins.top, lowest) };
}
