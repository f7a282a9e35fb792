// What the studio says about jobs: status words, queue places, file names.
import type { JobItem, JobStatus } from '@inkwell/api/contract';

export const STATUS_LABELS: Record<JobStatus, string> = {
  queued: 'Queued',
  running: 'Drawing',
  completed: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** The badge class of a status (app.css: good, bad, accent). */
export const STATUS_TONES: Record<JobStatus, string> = {
  queued: 'accent',
  running: 'accent',
  completed: 'good',
  failed: 'bad',
  cancelled: '',
};

/** "Next in line", "2 jobs ahead of yours". */
export function queueText(position: number | null): string {
  if (position === null) return 'Waiting in the queue';
  if (position === 0) return 'Next in line';
  return `${position} ${position === 1 ? 'job' : 'jobs'} ahead of yours`;
}

export function durationText(ms: number | null): string | null {
  if (ms === null) return null;
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
};

/** `inkwell-txt2img-sdxl-123456789.png`: what it is and how to draw it again. */
export function downloadName(job: JobItem): string {
  const mime = job.result?.mimeType ?? '';
  const extension = EXTENSIONS[mime] ?? job.result?.filename.split('.').at(-1) ?? 'png';
  const seed = typeof job.params.seed === 'number' ? `-${job.params.seed}` : '';
  return `inkwell-${job.workflow}${seed}.${extension}`;
}

/** The prompt of a job, if its workflow takes one. */
export const promptOf = (job: JobItem): string | null => (typeof job.params.prompt === 'string' ? job.params.prompt : null);

export const isVideo = (mimeType: string | undefined) => mimeType?.startsWith('video/') ?? false;
