/**
 * The queues between the API, the gpu-worker and the collab-server: names and payloads in one place,
 * shared by every producer and consumer.
 */
import type { ScriptLine } from './page-script.ts';

/** The API adds generation jobs; gpu-workers run them on ComfyUI. */
export const GENERATION_QUEUE = 'generation';

/**
 * Server-side edits of comic documents, consumed by the collab-servers (each edit by exactly one): a
 * panel's generation state when its job is queued, starts, fails or is cancelled, and its picture when
 * ready. Progress itself never goes into the document: it is relayed as stateless messages.
 */
export const COMIC_EDITS_QUEUE = 'comic-edits';

export interface PanelTarget {
  comicId: string;
  panelId: string;
}

export interface GenerationJobData {
  /** The `jobs` row; also the BullMQ job id, so a job is queued once. */
  jobId: string;
  userId: string;
  workflow: string;
  /** Validated parameters, the seed decided. */
  params: Record<string, unknown>;
  target: PanelTarget | null;
}

export interface GenerationResult {
  mediaId: string;
  width: number | null;
  height: number | null;
}

export type PanelJobStatus = 'queued' | 'running' | 'failed' | 'cancelled';

/** A line of a page script, as the panel's lettering. */
export type PanelScriptLine = Omit<ScriptLine, 'line'>;

export type ComicEditJobData =
  | { kind: 'insert-image'; jobId: string; comicId: string; panelId: string; mediaId: string; width: number; height: number }
  | { kind: 'set-generation'; jobId: string; comicId: string; panelId: string; status: PanelJobStatus; message?: string }
  /** A page script's dialogue and captions for the panel that `jobId` draws, written once as bubbles and captions. */
  | { kind: 'letter-panel'; jobId: string; comicId: string; panelId: string; lines: PanelScriptLine[] }
  /**
   * Makes the comic's records those of version `versionId`, after writing the live document into version
   * `beforeId` (a 'restore' version the API made from the stored state): the state just before is kept.
   */
  | { kind: 'restore-version'; comicId: string; versionId: string; beforeId: string; userId: string };

/** Adds a comic edit once: the same edit reported twice (a retried completion, say) is one job. */
export function comicEditJobId(edit: ComicEditJobData): string {
  if (edit.kind === 'restore-version') return `restore-${edit.beforeId}`;
  if (edit.kind === 'letter-panel') return `letter-${edit.jobId}`;
  return edit.kind === 'insert-image' ? `insert-${edit.jobId}` : `generation-${edit.jobId}-${edit.status}`;
}

/**
 * The progress a collab-server reports for a comic edit that someone waits for (`reportsApplied`) once the edit
 * is in the comic's document, and so on its way to everyone who has the comic open. It completes the edit only
 * once the document is stored: a collab-server that dies before leaves the edit to BullMQ, which hands it to
 * another.
 */
export const COMIC_EDIT_APPLIED = { applied: true } as const;

export const isComicEditApplied = (progress: unknown): boolean =>
  typeof progress === 'object' && progress !== null && (progress as { applied?: unknown }).applied === true;

/**
 * The edits a collab-server reports applied: only a picture, whose gpu-worker completes its panel job once the
 * picture is in the panel. Nobody waits on the others (a panel's generation state, lettering, a restore); each
 * report would be a script run in Redis and an event that every reader of the queue's events takes.
 */
const REPORTED_KINDS = ['insert-image'] as const satisfies ReadonlyArray<ComicEditJobData['kind']>;

export type ReportedComicEdit = Extract<ComicEditJobData, { kind: (typeof REPORTED_KINDS)[number] }>;

export const reportsApplied = (edit: ComicEditJobData): edit is ReportedComicEdit => (REPORTED_KINDS as readonly string[]).includes(edit.kind);

export const COMIC_EDIT_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/** Sent to everyone with the comic open while a panel's job runs (Hocuspocus stateless message). */
export interface PanelProgressMessage {
  type: 'generation-progress';
  jobId: string;
  panelId: string;
  percent: number;
  step?: number;
  steps?: number;
  preview?: string;
}
