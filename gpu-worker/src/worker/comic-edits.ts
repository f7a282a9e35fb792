// Edits of comic documents, handed to the collab-servers through the comic-edits queue: a panel's
// generation state (sent, nobody waits) and a panel's picture (applied: the caller waits until a
// collab-server has put it in the document, and so sent it to everyone who has the comic open).
import type { Queue, QueueEvents } from 'bullmq';
import { COMIC_EDIT_OPTIONS, type ComicEditJobData, type ReportedComicEdit, comicEditJobId, isComicEditApplied } from '@inkwell/workflows';

/** QueueEvents also emits each event as `<event>:<jobId>`, with the same arguments; its types list only `<event>`. */
const ofJob = <E extends 'progress' | 'completed' | 'failed'>(event: E, jobId: string) => `${event}:${jobId}` as E;

export function createComicEdits(deps: {
  queue: Queue<ComicEditJobData>;
  /** The comic-edits queue's event stream: how this worker hears that an edit was applied. */
  events: QueueEvents;
  /** How long `apply` waits for a collab-server before giving up. */
  applyTimeoutMs: number;
}) {
  const { queue, events } = deps;

  /** Adds an edit once, however often it is reported: a retried job gets the same edit back. */
  const add = (edit: ComicEditJobData) => queue.add(edit.kind, edit, { jobId: comicEditJobId(edit), ...COMIC_EDIT_OPTIONS });

  /**
   * Adds the edit and resolves when a collab-server reports it applied (its progress) or completed (stored),
   * whichever this hears first; rejects when the edit failed for good or nothing came in time.
   */
  function addAndWait(edit: ReportedComicEdit, earlierAttempts: boolean): Promise<void> {
    const id = comicEditJobId(edit);
    return new Promise<void>((resolve, reject) => {
      const onProgress = ({ data }: { data: unknown }) => isComicEditApplied(data) && settle();
      const onCompleted = () => settle();
      const onFailed = ({ failedReason }: { failedReason: string }) => settle(new Error(failedReason));
      const timer = setTimeout(() => settle(new Error(`no word within ${deps.applyTimeoutMs} ms`)), deps.applyTimeoutMs);
      function settle(error?: Error) {
        clearTimeout(timer);
        events.off(ofJob('progress', id), onProgress);
        events.off(ofJob('completed', id), onCompleted);
        events.off(ofJob('failed', id), onFailed);
        if (error) reject(error);
        else resolve();
      }
      events.on(ofJob('progress', id), onProgress);
      events.on(ofJob('completed', id), onCompleted);
      events.on(ofJob('failed', id), onFailed);
      // Listening first, then adding: an edit applied from now on is heard in its events. Only an earlier
      // attempt of this job can have added it before (its id names the job), so only then is its state read:
      // applied already, it would send no event again.
      (async () => {
        await events.waitUntilReady();
        await add(edit);
        if (!earlierAttempts) return;
        const [job, state] = await Promise.all([queue.getJob(id), queue.getJobState(id)]);
        if (state === 'completed' || isComicEditApplied(job?.progress)) settle();
        else if (state === 'failed') settle(new Error(job?.failedReason ?? 'failed'));
      })().catch(settle);
    });
  }

  return {
    async send(edit: ComicEditJobData): Promise<void> {
      await add(edit);
    },

    /**
     * Resolves once the edit is in the document, and so on every collaborator's screen (at once when an
     * earlier attempt of the job had it applied). Its store is the collab-server's business: it completes the
     * edit only once stored, and one that dies before leaves the edit to BullMQ, which hands it to another
     * (the edit is idempotent).
     */
    async apply(edit: ReportedComicEdit, opts: { earlierAttempts: boolean }): Promise<void> {
      try {
        await addAndWait(edit, opts.earlierAttempts);
      } catch (error) {
        throw new Error(`The collab-server has not applied the ${edit.kind} edit of comic ${edit.comicId}: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

export type ComicEdits = ReturnType<typeof createComicEdits>;
