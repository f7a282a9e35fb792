// Panel layout templates: pure functions from a template name to the panel rectangles of one page, so the
// canvas can create a whole page of panels in one step.

/** A comic page in canvas units (2:3, like a printed comic), with its outer margin and the gutter between panels. */
export interface PageFormat {
  width: number;
  height: number;
  margin: number;
  gutter: number;
}

export const COMIC_PAGE: PageFormat = { width: 800, height: 1200, margin: 40, gutter: 20 };

export interface PanelRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Each row: its share of the page's height, and how many equal panels it holds. */
type Rows = ReadonlyArray<{ weight: number; columns: number }>;

const TEMPLATES = {
  splash: [{ weight: 1, columns: 1 }],
  'rows-2': [
    { weight: 1, columns: 1 },
    { weight: 1, columns: 1 },
  ],
  'rows-3': [
    { weight: 1, columns: 1 },
    { weight: 1, columns: 1 },
    { weight: 1, columns: 1 },
  ],
  'grid-2x2': [
    { weight: 1, columns: 2 },
    { weight: 1, columns: 2 },
  ],
  'grid-2x3': [
    { weight: 1, columns: 2 },
    { weight: 1, columns: 2 },
    { weight: 1, columns: 2 },
  ],
  'grid-3x3': [
    { weight: 1, columns: 3 },
    { weight: 1, columns: 3 },
    { weight: 1, columns: 3 },
  ],
  'feature-top': [
    { weight: 2, columns: 1 },
    { weight: 1, columns: 2 },
  ],
} satisfies Record<string, Rows>;

export type LayoutTemplate = keyof typeof TEMPLATES;

export const LAYOUT_TEMPLATES = Object.keys(TEMPLATES) as LayoutTemplate[];

/** The panels of a page laid out with a template, in reading order, in page coordinates. */
export function layoutTemplate(template: LayoutTemplate, page: PageFormat = COMIC_PAGE): PanelRect[] {
  const rows: Rows = TEMPLATES[template];
  const innerWidth = page.width - 2 * page.margin;
  const innerHeight = page.height - 2 * page.margin - page.gutter * (rows.length - 1);
  const totalWeight = rows.reduce((sum, row) => sum + row.weight, 0);
  const rects: PanelRect[] = [];
  let y = page.margin;
  for (const row of rows) {
    const h = (innerHeight * row.weight) / totalWeight;
    const w = (innerWidth - page.gutter * (row.columns - 1)) / row.columns;
    for (let column = 0; column < row.columns; column++) {
      rects.push({ x: page.margin + column * (w + page.gutter), y, w, h });
    }
    y += h + page.gutter;
  }
  return rects;
}
