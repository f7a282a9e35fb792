// Generation in the comic: server-side edits from the comic-edits queue (a panel's job state, its picture
// when ready), and each job's progress relayed to everyone who has that comic open on this instance.
import type { Hocuspocus } from '@hocuspocus/server';
import { type Job, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  COMIC_EDITS_QUEUE,
  type ComicEditJobData,
  GENERATION_QUEUE,
  type GenerationProgress,
  type PanelJobStatus,
  type PanelProgressMessage,
} from '@inkwell/workflows';
import { documentNameOf } from './documents.ts';
import type { Logger } from './logger.ts';
import { COMIC_PANEL, type ComicPanelShape, insertImageIntoPanel, recordsOf, setPanelGeneration } from './model/index.ts';

/** A state never goes back: a late "queued" must not hide a "running", nor "running" an outcome. */
const RANK: Record<PanelJobStatus, number> = { queued: 1, running: 2, failed: 3, cancelled: 3 };

export function createGeneration(deps: { hocuspocus: Hocuspocus; redisUrl: string; redisPrefix: string; logger: Logger }) {
  const { hocuspocus, logger } = deps;
  const prefix = `${deps.redisPrefix}bull`;
  const connection = () => new Redis(deps.redisUrl, { maxRetriesPerRequest: null });

  async function apply(edit: ComicEditJobData): Promise<string> {
    // A direct connection loads the document if nobody has it open, and stores it after the edit.
    const direct = await hocuspocus.openDirectConnection(documentNameOf(edit.comicId), { source: 'generation' });
    let outcome = 'applied';
    try {
      await direct.transact((doc) => {
        if (edit.kind === 'insert-image') {
          const result = insertImageIntoPanel(doc, {
            panelId: edit.panelId,
            mediaId: edit.mediaId,
            assetSrc: `/api/v1/media/${edit.mediaId}/file`,
            width: edit.width,
            height: edit.height,
            jobId: edit.jobId,
          });
          outcome = result.status;
          return;
        }
        const panel = recordsOf(doc).get(edit.panelId as ComicPanelShape['id']) as ComicPanelShape | undefined;
        if (panel?.type !== COMIC_PANEL) {
          outcome = 'panel-missing';
          return;
        }
        const current = panel.props.generation;
        if (current?.jobId === edit.jobId && RANK[current.status] >= RANK[edit.status]) {
          outcome = 'superseded';
          return;
        }
        const changed = setPanelGeneration(doc, edit.panelId, {
          status: edit.status,
          jobId: edit.jobId,
          progress: 0,
          ...(edit.message && { message: edit.message }),
        });
        if (!changed) outcome = 'already-inserted';
      });
    } finally {
      await direct.disconnect();
    }
    return outcome;
  }

  // Each edit is applied by exactly one collab-server, in whichever instance takes it.
  const worker = new Worker<ComicEditJobData, string>(COMIC_EDITS_QUEUE, (job: Job<ComicEditJobData>) => apply(job.data), {
    connection: connection(),
    prefix,
    concurrency: 4,
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
    },
  };
}
