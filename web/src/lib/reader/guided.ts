// The guided view: the panels of every page in reading order, and how to zoom and pan a page so that one
// fills the screen. Boxes are fractions of their page (the API's reader data).
import type { ReaderPage } from '@inkwell/api/contract';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Step {
  page: number;
  /** Index of the panel on its page; null for a page without panels, shown whole. */
  panel: number | null;
  rect: Rect;
}

const WHOLE_PAGE: Rect = { x: 0, y: 0, w: 1, h: 1 };

/** One step per panel, page after page (the API lists panels in reading order); a page without panels is one step. */
export function guidedSteps(pages: Pick<ReaderPage, 'panels'>[]): Step[] {
  return pages.flatMap<Step>((page, n) =>
    page.panels.length === 0
      ? [{ page: n, panel: null, rect: WHOLE_PAGE }]
      : page.panels.map((panel, p) => ({ page: n, panel: p, rect: { x: panel.x, y: panel.y, w: panel.w, h: panel.h } })),
  );
}

export interface Transform {
  x: number;
  y: number;
  scale: number;
}

/**
 * Where to put a page `pageWidth` pixels wide (and `ratio` = width / height) in a stage of the given size so
 * that `rect` is as large as fits, centred, with `margin` (a share of the stage) around it. The page is
 * scaled from its top left corner, then moved by x, y.
 */
export function fitTransform(rect: Rect, page: { width: number; ratio: number }, stage: { width: number; height: number }, margin = 0.03): Transform {
  const pageHeight = page.width / page.ratio;
  const box = { w: Math.max(rect.w * page.width, 1), h: Math.max(rect.h * pageHeight, 1) };
  const scale = (1 - 2 * margin) * Math.min(stage.width / box.w, stage.height / box.h);
  const centre = { x: (rect.x + rect.w / 2) * page.width, y: (rect.y + rect.h / 2) * pageHeight };
  return { x: stage.width / 2 - centre.x * scale, y: stage.height / 2 - centre.y * scale, scale };
}
