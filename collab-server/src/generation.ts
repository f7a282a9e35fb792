// Generation in the comic: server-side edits from the comic-edits queue (a panel's job state, its picture
// when ready), and each job's progress relayed to everyone who has that comic open on this instance.
import { setTimeout as delay } from 'node:timers/promises';
import type { Extension, Hocuspocus } from '@hocuspocus/server';
import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type * as Y from 'yjs';
import {
  COMIC_EDITS_QUEUE,
  COMIC_EDIT_APPLIED,
  type ComicEditJobData,
  type PanelJobStatus,
  type PanelProgressMessage,
  generationProgress,
  parseMessage,
  quitOrDrop,
  redisNames,
  reportsApplied,
  whenReady,
} from '@inkwell/workflows';
import { comicIdOf, documentNameOf } from './documents.ts';
import type { Logger } from './logger.ts';
import type { Versions } from './versions.ts';
import { COMIC_PANEL, type ComicPanelShape, insertImageIntoPanel, letterPanel, recordsOf, setPanelGeneration } from './model/index.ts';

/** A state never goes back: a late "queued" must not hide a "running", nor "running" an outcome. */
const RANK: Record<PanelJobStatus, number> = { queued: 1, running: 2, failed: 3, cancelled: 3 };

/** How long closing the comic-edits worker may take before its connections are dropped. */
const CLOSE_TIMEOUT_MS = 3000;

export function createGeneration(deps: {
  hocuspocus: Hocuspocus;
  /** Resolves once every change the document has now is stored (the persistence extension's word). */
  whenStored(documentName: string): Promise<void>;
  /** Applies restore-version edits (versions.ts). */
  versions: Pick<Versions, 'restore'>;
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

  /**
   * Applies `edit` to the comic's document, then calls `applied` (the edit is then on its way to everyone who
   * has the comic open), and resolves once the document is stored.
   */
  async function withDocument<T>(comicId: string, edit: (doc: Y.Doc) => T, applied: () => Promise<void>): Promise<T> {
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
      // Sent to this instance's connections now rather than at the end of the turn, before anyone hears that
      // the edit was applied (the Redis extension publishes it to the other instances at the end of the turn).
      direct.document?.flush();
      await applied();
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

  function apply(job: Job<ComicEditJobData>): Promise<string> {
    const edit = job.data;
    // Whoever waits for the edit (the gpu-worker, before it marks a panel job completed) hears it is in the
    // panel as soon as it is, not once stored; durability stays with this job, completed only once stored.
    const applied = reportsApplied(edit) ? () => job.updateProgress(COMIC_EDIT_APPLIED) : async () => {};
    if (edit.kind === 'restore-version') return deps.versions.restore(edit, (change) => withDocument(edit.comicId, change, applied));
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
      if (edit.kind === 'letter-panel') return letterPanel(doc, { panelId: edit.panelId, key: edit.jobId, lines: edit.lines }).status;
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
    }, applied);
  }

  // Each edit is applied by exactly one collab-server, in whichever instance takes it. Collaborators see an
  // edit as soon as it is applied; the job then waits for the store (the debounce), so many wait at once:
  // a panel job makes three edits, each holding its slot for 1-5 s, and with every slot taken the next
  // picture would wait a whole debounce to be placed. A waiting edit costs only a promise and a lock renewal.
  const worker = new Worker<ComicEditJobData, string>(COMIC_EDITS_QUEUE, apply, {
    connection: connection(),
    prefix,
    concurrency: 1000,
    // A collab-server that dies holding edits (applied, perhaps, but not stored, while their panel jobs read
    // completed) loses its lock within 10 s, and the next check, every 5 s, hands them to another: within
    // 15 s rather than up to a minute with BullMQ's defaults. Locks are renewed every 5 s while edits wait.
    lockDuration: 10_000,
    stalledInterval: 5_000,
  });
  worker.on('failed', (job, error) => logger.warn('comic edit failed', { edit: job?.data.kind, comicId: job?.data.comicId, error: error.message }));

  return {
    ready: worker.waitUntilReady(),
    async close() {
      // BullMQ's close has no time limit of its own, and right after a Redis outage it can wait for ever on
      // its blocking connection, while the shutdown stores the documents only after this: a few seconds,
      // then the connections are dropped.
      const closed = await Promise.race([worker.close().then(() => true), delay(CLOSE_TIMEOUT_MS, false)]);
      if (!closed) logger.warn('the comic-edits worker did not close in time: dropping its Redis connections');
      await Promise.all(connections.map((c) => (closed ? quitOrDrop(c) : c.disconnect())));
    },
  };
}

/**
 * Progress of panel jobs is for whoever is looking now: relayed as stateless messages, never put in the
 * document. This instance hears a comic's progress (`redisNames().comicProgress`) only while it has the
 * comic's document loaded, so preview frames reach only the collab-servers that someone watches them on.
 * `createClient` gives a connection of the relay's own: once subscribed, it can do nothing else.
 */
export function createProgressRelay(deps: { createClient: () => Redis; redisPrefix: string; logger: Logger }): Extension {
  const names = redisNames(deps.redisPrefix);
  const subscriber = deps.createClient();
  // A SUBSCRIBE sent before the connection is ready is lost (ioredis' ready check then fails in subscriber mode).
  const ready = whenReady(subscriber);
  const loaded = new Map<string, { getConnections(): { sendStateless(payload: string): void }[] }>();

  subscriber.on('message', (channel: string, raw: string) => {
    const document = loaded.get(channel);
    if (!document) return;
    const progress = parseMessage(generationProgress, raw);
    if (!progress?.target) return deps.logger.warn('ignored a progress message that is not one', { channel });
    const message: PanelProgressMessage = {
      type: 'generation-progress',
      jobId: progress.jobId,
      panelId: progress.target.panelId,
      percent: progress.percent,
      ...(progress.step !== undefined && { step: progress.step }),
      ...(progress.steps !== undefined && { steps: progress.steps }),
      ...(progress.preview && { preview: progress.preview }),
    };
    const payload = JSON.stringify(message);
    for (const connection of document.getConnections()) connection.sendStateless(payload);
  });

  const follow = (documentName: string, change: (channel: string) => Promise<unknown>) => {
    const comicId = comicIdOf(documentName);
    if (!comicId) return undefined;
    const channel = names.comicProgress(comicId);
    // Progress is not worth holding a document's load or unload for: a missed frame is followed by the next.
    void ready.then(() => change(channel)).catch((error: unknown) => deps.logger.warn('progress subscription failed', { channel, error: String(error) }));
    return channel;
  };

  return {
    extensionName: 'generation-progress',
    async afterLoadDocument({ documentName, document }) {
      const channel = follow(documentName, (name) => subscriber.subscribe(name));
      if (channel) loaded.set(channel, document);
    },
    async afterUnloadDocument({ documentName }) {
      const channel = follow(documentName, (name) => subscriber.unsubscribe(name));
      if (channel) loaded.delete(channel);
    },
    async onDestroy() {
      await quitOrDrop(subscriber);
    },
  };
}
