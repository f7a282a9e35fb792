/**
 * Jobs that are still queued or running, kept up to date while the studio is open. A few follow the API's
 * server-sent events (queue position, progress, the developing preview); the rest are polled, because each
 * event stream holds one of the browser's few connections to this origin (six over HTTP/1.1).
 */
import { SvelteMap } from 'svelte/reactivity';
import { type JobEvents, type JobItem, jobEventsUrl, studioApi } from './api.ts';

/** Event streams open at once; the job just generated always gets one. */
const MAX_STREAMS = 3;
const POLL_MS = 2500;
/** A stream silent this long (no progress, no queue place) may have missed the end: ask for the job. */
const QUIET_MS = 5000;

export const isActive = (job: Pick<JobItem, 'status'>) => job.status === 'queued' || job.status === 'running';

/** How far a job has gone: an older answer about it never replaces a newer one. */
const stage = (job: Pick<JobItem, 'status'>) => (job.status === 'queued' ? 0 : job.status === 'running' ? 1 : 2);

/** One job as the studio shows it: the API's item, plus what only the live events carry. */
export class LiveJob {
  job = $state() as JobItem;
  /** Jobs ahead of this one in the queue. */
  position = $state<number | null>(null);
  percent = $state(0);
  step = $state<number | null>(null);
  steps = $state<number | null>(null);
  /** A data: URL of the picture developing (sent by the worker a few times a second). */
  preview = $state<string | null>(null);
  /** Why the job is being tried again, while it waits for its next attempt. */
  retrying = $state<string | null>(null);
  /** Cancel was asked for; a running job stops when its worker has interrupted it. */
  cancelling = $state(false);

  constructor(job: JobItem) {
    this.apply(job);
  }

  get active() {
    return isActive(this.job);
  }

  /** Takes a newer answer about the job; one that arrives late and says less (queued after cancelled) is dropped. */
  update(job: JobItem) {
    if (stage(job) >= stage(this.job)) this.apply(job);
  }

  apply(job: JobItem) {
    this.job = job;
    this.position = job.queuePosition;
    if (job.status === 'completed') this.percent = 100;
    else if (job.status === 'running') this.percent = Math.max(this.percent, job.progress);
    else this.percent = job.progress;
    if (!isActive(job)) {
      this.preview = null;
      this.cancelling = false;
    }
    this.retrying = job.status === 'queued' && job.error ? job.error : null;
  }
}

export class LiveJobs {
  readonly #jobs = new SvelteMap<string, LiveJob>();
  // Bookkeeping, not shown: plain collections on purpose.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #streams = new Map<string, { source: EventSource; heardAt: number }>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #polled = new Set<string>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #disposed = false;

  get(id: string): LiveJob | undefined {
    return this.#jobs.get(id);
  }

  /**
   * Shows `job`, and follows it while it is active. `priority`: it gets an event stream (with its preview),
   * taking one from a job that is only in the gallery if need be.
   */
  track(job: JobItem, priority = false): LiveJob {
    let live = this.#jobs.get(job.id);
    if (!live) {
      live = new LiveJob(job);
      this.#jobs.set(job.id, live);
    } else if (stage(job) > stage(live.job)) {
      // Further on than what this page knew (say, a cancel's answer): take it.
      live.apply(job);
    }
    if (this.#disposed || !live.active || this.#streams.has(job.id)) return live;
    if (priority && this.#streams.size >= MAX_STREAMS) {
      const [oldest] = this.#streams.keys();
      if (oldest) this.#demote(oldest);
    }
    if (this.#streams.size < MAX_STREAMS) this.#stream(live);
    else this.#poll(job.id);
    return live;
  }

  /** Asks the API to cancel `id`: a queued job is cancelled at once, a running one once its worker stops it. */
  async cancel(id: string): Promise<void> {
    const live = this.#jobs.get(id);
    if (live) live.cancelling = true;
    try {
      const job = this.track(await studioApi.jobs.cancel(id));
      // A running job ends when its worker has stopped it: ask for it soon rather than wait for its stream.
      const stream = this.#streams.get(id);
      if (job.active && stream) stream.heardAt = 0;
    } catch (error) {
      if (live) {
        live.cancelling = false;
        // Finished in the meantime, say: show how it ended.
        void studioApi.jobs.get(id).then((job) => this.track(job), () => {});
      }
      throw error;
    }
  }

  /** Closes every stream and stops polling (the page is left). */
  dispose() {
    this.#disposed = true;
    for (const { source } of this.#streams.values()) source.close();
    this.#streams.clear();
    this.#polled.clear();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #stream(live: LiveJob) {
    const id = live.job.id;
    this.#polled.delete(id);
    const source = new EventSource(jobEventsUrl(id));
    const stream = { source, heardAt: Date.now() };
    this.#streams.set(id, stream);
    this.#startTimer();

    const on = <K extends keyof JobEvents>(name: K, handle: (data: JobEvents[K]) => void) =>
      source.addEventListener(name, (event) => {
        stream.heardAt = Date.now();
        try {
          handle(JSON.parse((event as MessageEvent<string>).data) as JobEvents[K]);
        } catch {
          // A malformed event: the next one (or the final state) sets things right.
        }
      });
    const end = (job: JobItem) => {
      live.apply(job);
      this.#close(id);
    };

    // The first state can arrive after a newer answer (a cancel's), over another connection.
    on('state', (job) => live.update(job));
    on('queued', ({ position }) => {
      if (live.job.status === 'queued') live.position = position;
    });
    on('started', () => {
      live.job = { ...live.job, status: 'running', queuePosition: null, error: null };
      live.position = null;
      live.retrying = null;
    });
    on('progress', ({ percent, step, steps, preview }) => {
      if (live.job.status === 'queued') live.job = { ...live.job, status: 'running', queuePosition: null };
      live.position = null;
      live.retrying = null;
      live.percent = Math.max(live.percent, percent);
      live.step = step ?? null;
      live.steps = steps ?? null;
      if (preview) live.preview = preview;
    });
    on('retrying', ({ message }) => {
      live.job = { ...live.job, status: 'queued', error: message };
      live.retrying = message;
      live.percent = 0;
      live.preview = null;
    });
    on('done', end);
    on('failed', end);
    on('cancelled', end);
    source.addEventListener('error', () => {
      // The browser reconnects by itself unless the stream was refused; then ask now and then instead.
      if (source.readyState === EventSource.CLOSED && this.#streams.get(id) === stream) {
        this.#streams.delete(id);
        if (live.active) this.#poll(id);
      }
    });
  }

  #close(id: string) {
    this.#streams.get(id)?.source.close();
    this.#streams.delete(id);
    // A slot is free: the oldest polled job gets it.
    const [next] = this.#polled;
    const live = next ? this.#jobs.get(next) : undefined;
    if (live?.active && !this.#disposed) this.#stream(live);
  }

  #demote(id: string) {
    this.#streams.get(id)?.source.close();
    this.#streams.delete(id);
    this.#poll(id);
  }

  #poll(id: string) {
    this.#polled.add(id);
    this.#startTimer();
  }

  #startTimer() {
    if (!this.#disposed) this.#timer ??= setInterval(() => void this.#refresh(), POLL_MS);
  }

  /** Asks for the polled jobs, and for the streamed ones whose stream has gone quiet. */
  async #refresh() {
    const quiet = [...this.#streams].filter(([, stream]) => Date.now() - stream.heardAt > QUIET_MS).map(([id]) => id);
    for (const id of [...this.#polled, ...quiet]) {
      const live = this.#jobs.get(id);
      if (live?.active) {
        try {
          live.update(await studioApi.jobs.get(id));
        } catch {
          // Offline for a moment, or the job is gone; try again next time.
        }
      }
      if (!live?.active) {
        this.#polled.delete(id);
        if (this.#streams.has(id)) this.#close(id);
      } else {
        const stream = this.#streams.get(id);
        if (stream) stream.heardAt = Date.now();
      }
    }
    if (this.#polled.size === 0 && this.#streams.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }
}
