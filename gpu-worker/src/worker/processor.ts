import { type Job, UnrecoverableError } from 'bullmq';
import sharp from 'sharp';
import type { MediaStore } from '@inkwell/storage/media-store';
import type { ObjectStorage } from '@inkwell/storage';
import type { Database } from '@inkwell/db';
import { schema } from '@inkwell/db';
import {
  type GenerationJobData,
  type GenerationProgress,
  type GenerationResult,
  type WorkflowDefinition,
  findWorkflow,
  renderGraph,
} from '@inkwell/workflows';
import { eq } from 'drizzle-orm';
import type { ComicEdits } from './comic-edits.ts';
import { type Instance, type InstancePool, NoInstanceError } from './instances.ts';
import { type JobRecords, sizeOf } from './job-records.ts';

/** Progress reaches watchers at most this often; previews less often, and small. */
const PROGRESS_EVERY_MS = 200;
/** The row keeps progress for later readers (watchers hear every report): written at most this often. */
const PROGRESS_STORE_EVERY_MS = 1000;
const PREVIEW_EVERY_MS = 250;
const PREVIEW_SIZE = 256;
/** A JPEG preview this light is relayed as ComfyUI sent it, not decoded and encoded again. */
const PREVIEW_LIGHT_BYTES = 24 * 1024;

export interface ProcessorMetrics {
  finished(workflow: string, type: string, status: 'completed' | 'failed' | 'cancelled', seconds: number): void;
}

/** Why a prompt was stopped from our side. */
type StopReason = 'cancelled' | 'timeout';

type StoredMedia = Awaited<ReturnType<MediaStore['save']>>;

interface Running {
  instance: Instance;
  promptId: string;
  stop(reason: StopReason): void;
}

export function createGenerationProcessor(deps: {
  db: Database;
  pool: InstancePool;
  records: JobRecords;
  mediaStore: MediaStore;
  storage: ObjectStorage;
  comicEdits: ComicEdits;
  /** Hands progress to whoever follows the job or its comic now (Redis pub/sub); nothing is kept. */
  publishProgress(progress: GenerationProgress): Promise<void>;
  jobTimeoutMs: number;
  metrics: ProcessorMetrics;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}) {
  const { records, pool } = deps;
  const running = new Map<string, Running>();
  // Cancellations that arrived while a job was between BullMQ and ComfyUI (claimed, not yet submitted):
  // every worker hears every cancellation, so each remembers them for a while in case the job is its own.
  const cancelled = new Map<string, number>();
  const CANCEL_MEMORY_MS = 10 * 60_000;

  /** The bytes of an image from the media library, for ComfyUI's input folder. */
  async function mediaBytes(mediaId: string): Promise<Uint8Array> {
    const [row] = await deps.db.select().from(schema.media).where(eq(schema.media.id, mediaId));
    const object = row && (await deps.storage.get(row.storagePath));
    if (!object) throw new UnrecoverableError('An input image of this job no longer exists');
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async function uploadInputs(instance: Instance, workflow: WorkflowDefinition, params: Record<string, unknown>) {
    const uploads: Record<string, string> = {};
    const named = workflow.imageParams.flatMap((name) => (typeof params[name] === 'string' ? [[name, params[name]] as const] : []));
    for (const [name, mediaId] of [...named, ...Object.entries(workflow.extraImages?.(params) ?? {})]) {
      uploads[name] = await instance.client.uploadImage(await mediaBytes(mediaId), `inkwell-${mediaId}.png`);
    }
    return uploads;
  }

  /**
   * An earlier attempt's prompt keeps running on ComfyUI when its worker dies: stop it, so the picture is not
   * drawn twice and this attempt does not wait behind it. Its id is known without being stored (`promptIdOf`),
   * its instance is not: each is asked, and one whose prompt already ended is not touched.
   */
  async function stopEarlierPrompts(job: Job<GenerationJobData>) {
    const earlier = Array.from({ length: job.attemptsStarted - 1 }, (_, k) => promptIdOf(job.data.jobId, k + 1));
    if (earlier.length === 0) return;
    await Promise.allSettled(pool.instances.flatMap((instance) => [instance.client.deleteQueued(earlier), ...earlier.map((id) => instance.client.interrupt(id))]));
    deps.log('info', 'asked ComfyUI to stop the prompts of earlier attempts', { jobId: job.data.jobId, promptIds: earlier });
  }

  /** Runs the prompt on one instance and returns the result file's bytes. */
  async function runPrompt(job: Job<GenerationJobData>, workflow: WorkflowDefinition, instance: Instance): Promise<Uint8Array> {
    const { params, target } = job.data;
    const graph = renderGraph(workflow, params, await uploadInputs(instance, workflow, params));
    const promptId = promptIdOf(job.data.jobId, job.attemptsStarted);
    const abort = new AbortController();
    let stopReason: StopReason | undefined;
    const stop = (reason: StopReason) => {
      stopReason ??= reason;
      abort.abort(reason);
      // Whichever it is now, queued on ComfyUI or running there, it goes.
      void instance.client.deleteQueued([promptId]).catch(() => {});
      void instance.client.interrupt(promptId).catch(() => {});
    };
    running.set(job.data.jobId, { instance, promptId, stop });
    const timer = setTimeout(() => stop('timeout'), deps.jobTimeoutMs);
    if (cancelled.delete(job.data.jobId)) stop('cancelled');

    let lastProgressAt = 0;
    // Not in the first second: a quick job's row goes from 0 to completed without a write between.
    let lastStoredAt = Date.now();
    let lastPreviewAt = 0;
    let latest: GenerationProgress = { jobId: job.data.jobId, percent: 0, target };
    let trailing: NodeJS.Timeout | undefined;
    let ended = false;
    const publish = () => {
      clearTimeout(trailing);
      trailing = undefined;
      const now = Date.now();
      lastProgressAt = now;
      void deps.publishProgress(latest).catch(() => {});
      // Each preview is sent once, with the next word after it came.
      latest = { ...latest, preview: undefined };
      if (now - lastStoredAt < PROGRESS_STORE_EVERY_MS) return;
      lastStoredAt = now;
      void records.progress(job.data.jobId, latest.percent).catch(() => {});
    };
    // Watchers hear the latest state at most every PROGRESS_EVERY_MS: at once when the last word is that old,
    // else at the end of the interval. Progress still due when the prompt ends is dropped: the job's 100% and
    // its picture follow within milliseconds, and a last preview would only cost every watcher a frame.
    const report = () => {
      if (ended || trailing) return;
      const wait = lastProgressAt + PROGRESS_EVERY_MS - Date.now();
      if (wait <= 0) publish();
      else trailing = setTimeout(publish, wait);
    };
    try {
      if (stopReason) throw new Error(stopReason);
      await stopEarlierPrompts(job);
      await instance.client.submit(graph, { promptId, extraData: { preview_method: 'latent2rgb' } });
      const { outputs } = await instance.client.waitForPrompt(promptId, {
        signal: abort.signal,
        onProgress: ({ value, max }) => {
          latest = { ...latest, percent: Math.round((value / Math.max(1, max)) * 95), step: value, steps: max };
          report();
        },
        onPreview: (image, mimeType) => {
          const now = Date.now();
          if (now - lastPreviewAt < PREVIEW_EVERY_MS) return;
          lastPreviewAt = now;
          void shrinkPreview(image, mimeType).then((preview) => {
            latest = { ...latest, preview };
            report();
          }, () => {});
        },
      });
      const files = outputs[workflow.output(params).node]?.images ?? [];
      const file = files[0];
      if (!file) throw new UnrecoverableError('ComfyUI finished without saving a picture');
      return await instance.client.view(file);
    } catch (error) {
      if (stopReason === 'cancelled') throw new UnrecoverableError('Cancelled');
      if (stopReason === 'timeout') throw new UnrecoverableError(`Took longer than ${Math.round(deps.jobTimeoutMs / 60_000)} minutes`);
      throw error;
    } finally {
      ended = true;
      clearTimeout(timer);
      clearTimeout(trailing);
      running.delete(job.data.jobId);
    }
  }

  /**
   * Stores the result, once per job: when an earlier attempt stored its picture, that one is the result. Its
   * thumbnail is made by the API when first asked for (most panel pictures are only ever shown whole).
   */
  async function storeResult(job: Job<GenerationJobData>, workflow: WorkflowDefinition, bytes: Uint8Array) {
    const convertTo = workflow.output(job.data.params).convertTo;
    const animated = workflow.output(job.data.params).kind === 'animated';
    const image = sharp(bytes, { animated });
    // A picture kept as ComfyUI wrote it is read for its header only, not decoded or encoded again.
    const output = convertTo === 'gif' ? await image.gif().toBuffer() : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const meta = await (convertTo === 'gif' ? sharp(output, { animated }) : image).metadata();
    const format = meta.format === 'jpeg' ? 'jpg' : (meta.format ?? 'png');
    const seed = job.data.params.seed;
    return deps.mediaStore.save({
      userId: job.data.userId,
      bytes: output,
      mimeType: `image/${meta.format === 'jpeg' ? 'jpeg' : format}`,
      ext: format,
      width: meta.width ?? null,
      height: meta.pageHeight ?? meta.height ?? null,
      filename: `${workflow.id}-${String(seed)}.${format}`,
      privacy: 'private',
      comicId: job.data.target?.comicId ?? null,
      jobId: job.data.jobId,
      metadata: { workflow: workflow.id, seed, prompt: job.data.params.prompt ?? null },
    });
  }

  /** A linked picture as the job's result. */
  async function resultOf(mediaId: string): Promise<GenerationResult> {
    return { mediaId, ...(await records.size(mediaId)) };
  }

  /**
   * Links the stored picture to the job; when another attempt linked its own first, that one is the result.
   * A job with no panel is completed by the same write.
   */
  async function link(job: Job<GenerationJobData>, media: StoredMedia, processingMs: number): Promise<GenerationResult> {
    if (await records.link(job.data.jobId, media.id, processingMs, !job.data.target)) return { mediaId: media.id, ...sizeOf(media.metadata) };
    const linked = (await records.find(job.data.jobId))?.resultMediaId;
    if (linked !== media.id) await deps.mediaStore.remove(media);
    if (!linked) throw new UnrecoverableError('This job ended while its picture was being stored');
    return resultOf(linked);
  }

  /**
   * Puts the picture in its panel, then marks the job completed: whoever reads the job never sees it
   * completed while its panel still shows it running (nor before `alongside`: its last progress). The panel's edit is idempotent, so an attempt that died on the way is finished by the next one.
   */
  async function finish(job: Job<GenerationJobData>, result: GenerationResult, alongside?: Promise<unknown>): Promise<void> {
    const { target, jobId } = job.data;
    const picture = target && { kind: 'insert-image' as const, jobId, ...target, mediaId: result.mediaId, width: result.width ?? 1024, height: result.height ?? 1024 };
    // Only a job run before can find its picture's edit already applied (BullMQ counts this run in attemptsStarted).
    const inserted = picture && deps.comicEdits.apply(picture, { earlierAttempts: job.attemptsStarted > 1 });
    await Promise.all([inserted, alongside]);
    await records.complete(jobId);
  }

  /** Hands a panel's generation state to the collab-servers, once per state however often it is reported. */
  async function setGeneration(job: Job<GenerationJobData>, status: 'running' | 'failed' | 'cancelled', message?: string) {
    const { target, jobId } = job.data;
    if (target) await deps.comicEdits.send({ kind: 'set-generation', jobId, ...target, status, ...(message !== undefined && { message }) });
  }

  /** One attempt at a job: run the workflow on an instance, store the picture, link it, hand it to the comic. */
  async function run(job: Job<GenerationJobData>): Promise<GenerationResult> {
    const workflow = findWorkflow(job.data.workflow);
    if (!workflow) throw new UnrecoverableError(`Unknown workflow ${job.data.workflow}`);
    const row = (await records.markRunning(job.data.jobId)) ?? (await records.find(job.data.jobId));
    if (!row) {
      // Not a cancellation: the queue holds a job this database never had, most often another deployment's
      // on a shared Redis with the same REDIS_PREFIX. There is no row to mark, so the log says it.
      const message = `No row for job ${job.data.jobId} in this worker's database (is another deployment using the same Redis and REDIS_PREFIX?)`;
      deps.log('warn', 'job has no row', { jobId: job.data.jobId, error: message });
      throw new UnrecoverableError(message);
    }
    if (row.status === 'cancelled' || row.status === 'failed') throw new UnrecoverableError('This job was cancelled');
    // Drawn and stored by an earlier attempt that died before finishing, or whose completion was lost:
    // finish it, do not draw it again.
    if (row.resultMediaId) {
      const result = await resultOf(row.resultMediaId);
      await finish(job, result);
      return result;
    }

    // The panel shows "running" while the prompt runs: the prompt need not wait for that edit to be queued.
    const shown = setGeneration(job, 'running');
    shown.catch(() => {});
    const started = performance.now();
    let instance: Instance;
    try {
      instance = pool.acquire(workflow.id);
    } catch (error) {
      if (error instanceof NoInstanceError) throw new UnrecoverableError(error.message);
      throw error;
    }
    let bytes: Uint8Array;
    try {
      bytes = await runPrompt(job, workflow, instance);
    } catch (error) {
      if (isConnectionError(error)) {
        // That instance went away: leave it out until it answers again; the retry goes elsewhere.
        pool.markDown(instance);
        throw new Error(`ComfyUI at ${instance.url} stopped answering`, { cause: error });
      }
      throw unrecoverableIfFinal(error);
    } finally {
      pool.release(instance);
    }

    await shown;
    const processingMs = performance.now() - started;
    const stored = await storeResult(job, workflow, bytes);
    const result = await link(job, stored, processingMs);
    // Heard before the job's completion, as its last progress: sent while the picture goes into its panel.
    const lastWord = deps.publishProgress({ jobId: job.data.jobId, percent: 100, target: job.data.target }).catch(() => {});
    if (job.data.target) await finish(job, result, lastWord);
    else await lastWord;
    deps.metrics.finished(workflow.id, workflow.jobType, 'completed', processingMs / 1000);
    return result;
  }

  /**
   * Records what a failed attempt means before BullMQ reports it, so that whoever watches the job reads
   * its outcome: the end (a refused graph, a node error, a cancel, the last attempt) or another try.
   */
  async function settleFailure(job: Job<GenerationJobData>, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (!final) {
      deps.log('warn', 'job attempt failed, will retry', { jobId: job.data.jobId, error: message });
      await records.retrying(job.data.jobId, message);
      return;
    }
    await endJob(job, message === 'Cancelled' ? 'cancelled' : 'failed', message);
  }

  /** Marks a job failed or cancelled, in its row and on its panel, once. */
  async function endJob(job: Job<GenerationJobData>, status: 'failed' | 'cancelled', message: string): Promise<void> {
    if (!(await records.fail(job.data.jobId, status, message))) return;
    const workflow = findWorkflow(job.data.workflow);
    deps.metrics.finished(job.data.workflow, workflow?.jobType ?? 'unknown', status, (Date.now() - (job.processedOn ?? Date.now())) / 1000);
    await setGeneration(job, status, message);
    deps.log(status === 'cancelled' ? 'info' : 'warn', `job ${status}`, { jobId: job.data.jobId, error: message });
  }

  async function process(job: Job<GenerationJobData>): Promise<GenerationResult> {
    try {
      return await run(job);
    } catch (error) {
      await settleFailure(job, error);
      throw error;
    }
  }

  return {
    running,
    process,
    endJob,

    /** Stops a job this worker is running; false when it is not here. */
    cancel(jobId: string): boolean {
      const entry = running.get(jobId);
      if (entry) {
        entry.stop('cancelled');
        return true;
      }
      const now = Date.now();
      for (const [id, at] of cancelled) if (now - at > CANCEL_MEMORY_MS) cancelled.delete(id);
      cancelled.set(jobId, now);
      return false;
    },
  };
}

/**
 * The ComfyUI prompt id of a job's attempt (BullMQ counts the starts, stalled ones included). Derived rather
 * than stored in the job, so that a later attempt can stop an earlier one's prompt at no cost to every job.
 */
function promptIdOf(jobId: string, attempt: number): string {
  return `${jobId}.${attempt}`;
}

/** A picture developing, small enough to send to every collaborator a few times a second. */
async function shrinkPreview(image: Uint8Array, mimeType: string): Promise<string> {
  if (mimeType === 'image/jpeg' && image.byteLength <= PREVIEW_LIGHT_BYTES) return `data:image/jpeg;base64,${Buffer.from(image).toString('base64')}`;
  const jpeg = await sharp(image).resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: 'inside' }).jpeg({ quality: 60 }).toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

/** The socket or HTTP connection to ComfyUI failed (as opposed to ComfyUI answering with an error). */
function isConnectionError(error: unknown): boolean {
  const e = error as { name?: string; code?: string; cause?: { code?: string } };
  return e?.name === 'ComfyConnectionError' || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(e?.code ?? e?.cause?.code ?? '');
}

/** ComfyUI refused the graph or a node failed: running it again would fail the same way. */
function unrecoverableIfFinal(error: unknown): unknown {
  const name = (error as { name?: string })?.name;
  if (error instanceof UnrecoverableError) return error;
  if (name === 'ComfyValidationError' || name === 'ComfyExecutionError') return new UnrecoverableError((error as Error).message);
  return error;
}
