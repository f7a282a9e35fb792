// Generation in the comic: server-side edits from the comic-edits queue (a panel's job state, its picture
// when ready), and each job's progress relayed to everyone who has that comic open on this instance.
import type { Hocuspocus } from '@hocuspocus/server';
import { type Job, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type * as Y from 'yjs';
import {
  COMIC_EDITS_QUEUE,
  type ComicEditJobData,
  GENERATION_QUEUE,
  type GenerationProgress,
  type PanelJobStatus,
  type PanelProgressMessage,
  redisNames,
} from '@inkwell/workflows';
import { documentNameOf } from './documents.ts';
import type { Logger } from './logger.ts';
import { COMIC_PANEL, type ComicPanelShape, insertImageIntoPanel, recordsOf, setPanelGeneration } from './model/index.ts';

/** A state never goes back: a late "queued" must not hide a "running", nor "running" an outcome. */
const RANK: Record<PanelJobStatus, number> = { queued: 1, running: 2, failed: 3, cancelled: 3 };

export function createGeneration(deps: {
  hocuspocus: Hocuspocus;
  /** Resolves once every change the document has now is stored (the persistence extension's word). */
  whenStored(documentName: string): Promise<void>;
  redisUrl: string;
  redisPrefix: string;
  logger: Logger;
}) {
  const { hocuspocus, logger } = deps;
  const prefix = redisNames(deps.redisPrefix).bull;
  // BullMQ leaves closing the connections it is given to their owner.
  const connections: Redis[] = [];
  const connection = () => {
    const made = new Redis(deps.redisUrl, { maxRetriesPerRequest: null });
    connections.push(made);
    return made;
  };

  // One direct connection per document while its edits are being applied: it keeps the document loaded,
  // and a burst of edits shares the stores instead of each closing its own connection (Hocuspocus stores
  // on every direct disconnect, one at a time, and the Redis extension holds such stores for a second).
  const open = new Map<string, { direct: ReturnType<Hocuspocus['openDirectConnection']>; users: number }>();

  async function withDocument<T>(comicId: string, edit: (doc: Y.Doc) => T): Promise<T> {
    const name = documentNameOf(comicId);
    let entry = open.get(name);
    if (!entry) {
      entry = { direct: hocuspocus.openDirectConnection(name, { source: 'generation' }), users: 0 };
      open.set(name, entry);
    }
    entry.users++;
    try {
      const direct = await entry.direct;
      let result!: T;
      await direct.transact((doc) => {
        result = edit(doc);
      });
      // The job is done only when the edit is stored: nobody else holds it to send again.
      await deps.whenStored(name);
      return result;
    } finally {
      if (--entry.users === 0) {
        open.delete(name);
        void entry.direct.then((direct) => direct.disconnect()).catch((error: unknown) => logger.warn('closing a direct connection failed', { error: String(error) }));
      }
    }
  }

  function apply(edit: ComicEditJobData): Promise<string> {
    return withDocument(edit.comicId, (doc) => {
      if (edit.kind === 'insert-image') {
        return insertImageIntoPanel(doc, {
          panelId: edit.panelId,
          mediaId: edit.mediaId,
          assetSrc: `/api/v1/media/${edit.mediaId}/file`,
          width: edit.width,
          height: edit.height,
          jobId: edit.jobId,
        }).status;
      }
      const panel = recordsOf(doc).get(edit.panelId as ComicPanelShape['id']) as ComicPanelShape | undefined;
      if (panel?.type !== COMIC_PANEL) return 'panel-missing';
      const current = panel.props.generation;
      if (current?.jobId === edit.jobId && RANK[current.status] >= RANK[edit.status]) return 'superseded';
      const changed = setPanelGeneration(doc, edit.panelId, {
        status: edit.status,
        jobId: edit.jobId,
        progress: 0,
        ...(edit.message && { message: edit.message }),
      });
      return changed ? 'applied' : 'already-inserted';
    });
  }

  // Each edit is applied by exactly one collab-server, in whichever instance takes it. Collaborators see an
  // edit as soon as it is applied; the job then waits for the store (the debounce), so many run at once.
  const worker = new Worker<ComicEditJobData, string>(COMIC_EDITS_QUEUE, (job: Job<ComicEditJobData>) => apply(job.data), {
    connection: connection(),
    prefix,
    concurrency: 64,
  });
  worker.on('failed', (job, error) => logger.warn('comic edit failed', { edit: job?.data.kind, comicId: job?.data.comicId, error: error.message }));

  // Progress is for whoever is looking now, on this instance: stateless messages, never the document.
  const events = new QueueEvents(GENERATION_QUEUE, { connection: connection(), prefix });
  events.on('progress', ({ jobId, data }) => {
    const progress = data as GenerationProgress;
    if (!progress?.target) return;
    const document = hocuspocus.documents.get(documentNameOf(progress.target.comicId));
    if (!document) return;
    const message: PanelProgressMessage = {
      type: 'generation-progress',
      jobId,
      panelId: progress.target.panelId,
      percent: progress.percent,
      ...(progress.step !== undefined && { step: progress.step }),
      ...(progress.steps !== undefined && { steps: progress.steps }),
      ...(progress.preview && { preview: progress.preview }),
    };
    const payload = JSON.stringify(message);
    for (const connection of document.getConnections()) connection.sendStateless(payload);
  });

  return {
    ready: Promise.all([worker.waitUntilReady(), events.waitUntilReady()]),
    async close() {
      await Promise.all([worker.close(), events.close()]);
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
