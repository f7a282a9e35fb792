// `comics.panels` as the current contract (db/src/comic-summary.ts), whatever wrote it.
import type { ComicSummary, PageSummary, PanelSummary } from '@inkwell/db';

/**
 * `comics.panels` as the current contract, whatever wrote it: rows from before pages had bounds and panels had
 * art and lettering (or the empty `[]` of a comic never opened) read as what can be derived from them.
 */
export function normalizeSummary(value: unknown): ComicSummary {
  const pages = (value as { pages?: unknown } | null)?.pages;
  if (!Array.isArray(pages)) return { pages: [] };
  return {
    pages: (pages as Partial<PageSummary>[]).map((page, n) => ({
      id: String(page.id ?? `page:${n}`),
      name: String(page.name ?? `Page ${n + 1}`),
      bounds: page.bounds ?? null,
      panels: (page.panels ?? []).map((panel: Partial<PanelSummary> & Pick<PanelSummary, 'id' | 'x' | 'y' | 'w' | 'h'>) => {
        const images = panel.images ?? [];
        const box = { x: panel.x, y: panel.y, w: panel.w, h: panel.h };
        // An older summary knows only which pictures a panel holds: each then fills its panel.
        return { ...panel, images, text: panel.text ?? [], art: panel.art ?? images.map((mediaId) => ({ mediaId, ...box })), lettering: panel.lettering ?? [] };
      }),
    })),
  };
}
