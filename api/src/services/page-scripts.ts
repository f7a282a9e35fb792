// "Draw this page from a script": a page script's blocks go to the page's panels in reading order, each as
// a panel job of one batch (its description the prompt, its characters from the comic's library), and its
// dialogue and captions as bubbles and captions written into the panel by the collab-server (the panel
// workflow keeps text out of the picture itself).
import { eq } from 'drizzle-orm';
import type { Database } from '@inkwell/db';
import { schema } from '@inkwell/db';
import { parsePageScript, pictureSize } from '@inkwell/workflows/page-script';
import { AppError } from '../errors.ts';
import { normalizeSummary } from '../lib/comic-summary.ts';
import type { ComicService } from './comics.ts';
import type { JobService } from './jobs.ts';
import type { Auth } from './sessions.ts';

const { comics, comicCharacters } = schema;

export function createPageScriptService(deps: {
  db: Database;
  comics: Pick<ComicService, 'requireRole'>;
  jobs: Pick<JobService, 'createBatch' | 'editComic'>;
}) {
  const { db } = deps;

  return {
    async draw(actor: Auth, comicId: string, pageId: string, input: { script: string; workflow: string; params: Record<string, unknown> }) {
      await deps.comics.requireRole(actor, comicId, 'editor');
      const [comic] = await db.select({ panels: comics.panels }).from(comics).where(eq(comics.id, comicId));
      const page = normalizeSummary(comic?.panels).pages.find((p) => p.id === pageId);
      // The summary is written when the document is stored: a page made a moment ago may not be in it yet.
      if (!page) throw new AppError(404, 'not_found', 'This page is not in the comic, or not saved yet: try again in a moment');
      if (page.panels.length === 0) throw new AppError(409, 'no_panels', 'This page has no panels yet: lay it out first (Add page, or the Panel tool)');

      const characters = await db.select({ id: comicCharacters.id, name: comicCharacters.name }).from(comicCharacters).where(eq(comicCharacters.comicId, comicId));
      const parsed = parsePageScript(input.script, { panelCount: page.panels.length, characters });
      if (!parsed.ok) {
        const count = parsed.errors.length;
        throw new AppError(400, 'invalid_script', `The script has ${count} mistake${count === 1 ? '' : 's'}: see each line`, parsed.errors.map((e) => ({ path: 'script', ...e })));
      }

      const blocks = parsed.panels.map((block, i) => ({ block, panel: page.panels[i]! }));
      const batch = await deps.jobs.createBatch(
        actor,
        blocks.map(({ block, panel }) => ({
          workflow: input.workflow,
          params: {
            ...input.params,
            prompt: block.description,
            ...(block.characterIds.length && { characters: block.characterIds }),
            ...pictureSize(panel.w, panel.h),
          },
          target: { comicId, panelId: panel.id },
        })),
      );
      for (const [i, { block, panel }] of blocks.entries()) {
        if (block.lettering.length === 0) continue;
        const lines = block.lettering.map(({ kind, speaker, text }) => ({ kind, speaker, text }));
        await deps.jobs.editComic({ kind: 'letter-panel', jobId: batch.jobs[i]!.id, comicId, panelId: panel.id, lines });
      }
      return batch;
    },
  };
}

export type PageScriptService = ReturnType<typeof createPageScriptService>;
