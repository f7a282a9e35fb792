// Edits of comic documents, handed to the collab-servers through the comic-edits queue: a panel's
// generation state (sent, nobody waits) and a panel's picture (applied: the caller waits until a
// collab-server has put it in the document and stored it).
import type { Queue, QueueEvents } from 'bullmq';
import { COMIC_EDIT_OPTIONS, type ComicEditJobData, comicEditJobId } from '@inkwell/workflows';

export function createComicEdits(deps: {
  queue: Queue<ComicEditJobData>;
  /** The comic-edits queue's event stream: how this worker hears that an edit was applied. */
  events: QueueEvents;
  /** How long `apply` waits for a collab-server before giving up. */
  applyTimeoutMs: number;
}) {
  /** Adds an edit once, however often it is reported: a retried job gets the same edit back. */
  const add = (edit: ComicEditJobData) => deps.queue.add(edit.kind, edit, { jobId: comicEditJobId(edit), ...COMIC_EDIT_OPTIONS });

  return {
    async send(edit: ComicEditJobData): Promise<void> {
      await add(edit);
    },

    /** Resolves once the edit is in the document and stored (at once when it was applied before). */
    async apply(edit: ComicEditJobData): Promise<void> {
      const job = await add(edit);
      try {
        await job.waitUntilFinished(deps.events, deps.applyTimeoutMs);
      } catch (error) {
        throw new Error(`The collab-server has not applied the ${edit.kind} edit of comic ${edit.comicId}: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

export type ComicEdits = ReturnType<typeof createComicEdits>;
