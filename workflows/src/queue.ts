/**
 * The queues between the API, the gpu-worker and the collab-server: names and payloads in one place,
 * shared by every producer and consumer.
 */

/** The API adds generation jobs; gpu-workers run them on ComfyUI. */
export const GENERATION_QUEUE = 'generation';

/** gpu-workers add one when a panel's picture is ready; the collab-server inserts it into the document. */
export const COMIC_EDITS_QUEUE = 'comic-edits';

/** Published (Redis pub/sub) by the API when someone cancels; the worker running that job interrupts it. */
export const CANCEL_CHANNEL = 'generation-cancel';

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

/** What a running job reports (BullMQ progress), relayed to the requester and to everyone on the comic. */
export interface GenerationProgress {
  percent: number;
  step?: number;
  steps?: number;
  /** A small JPEG of the picture developing, as a data: URL, sent a few times a second at most. */
  preview?: string;
  target: PanelTarget | null;
}

export interface GenerationResult {
  mediaId: string;
  width: number | null;
  height: number | null;
}

export interface ComicEditJobData {
  kind: 'insert-image';
  jobId: string;
  comicId: string;
  panelId: string;
  mediaId: string;
  width: number;
  height: number;
}

/** BullMQ job names of the generation queue are workflow ids; this is the one of the comic-edits queue. */
export const INSERT_IMAGE_JOB = 'insert-image';
