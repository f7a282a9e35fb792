// The admin area's operations view (`queues:manage`): the BullMQ queues (counts, pause and resume, retry the
// failed, clean the completed, the failed jobs with their errors), the ComfyUI instances (up or down, their
// queue, GPU, and the workflows each cannot run), and the services' own Prometheus metrics read back into a
// system overview. Nothing here throws for a service that is down: it reads as down or unavailable.
import type { Job, Queue } from 'bullmq';
import { unrunnableWorkflows } from '@inkwell/workflows';
import { AppError, notFound } from '../errors.ts';
import type { ComfyProbe } from '../lib/comfyui-probe.ts';
import { type Sample, parsePrometheusText, sumOf } from '../lib/prometheus-text.ts';
import type {
  ComfyInstance,
  FailedJob,
  QueueAction,
  QueueActionResult,
  QueueTile,
  SystemOverview,
} from '../operations-contract.ts';
import type { AuditAction, AuditService } from './audit.ts';
import type { Auth, ClientInfo } from './sessions.ts';

const AUDIT_ACTION: Record<QueueAction, AuditAction> = {
  pause: 'queue.paused',
  resume: 'queue.resumed',
  'retry-failed': 'queue.failed_retried',
  'clean-completed': 'queue.completed_cleaned',
};

/** Why a probe failed, in a few words: fetch's own message ("fetch failed") says nothing. */
function whyDown(error: unknown): string {
  if (!(error instanceof Error)) return 'unreachable';
  if (error.name === 'TimeoutError') return 'no answer in time';
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `unreachable (${code})` : error.message;
}

/** How many jobs one clean removes at most: a very large queue is cleaned over several clicks. */
const CLEAN_LIMIT = 10_000;

type ServiceName = SystemOverview['services'][number]['name'];

/** A queue operation that Redis could not answer (it is down) fails as 503, as queuing a generation does then. */
async function fromRedis<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError(503, 'queue_unavailable', 'The job queues cannot be reached right now: try again in a moment');
  }
}

export interface OperationsDeps {
  queues: readonly Queue[];
  audit: Pick<AuditService, 'record'>;
  probe: ComfyProbe;
  comfyUrls: readonly string[];
  /** Each service's Prometheus text: the API's own registry, the others over HTTP. */
  metrics: Record<ServiceName, () => Promise<string>>;
  now?: () => number;
}

export function createOperationsService(deps: OperationsDeps) {
  const now = deps.now ?? Date.now;
  /** The previous totals per service, for rates between two looks. */
  const previous = new Map<ServiceName, { at: number; total: number; errors: number }>();

  function queueNamed(name: string): Queue {
    const queue = deps.queues.find((q) => q.name === name);
    if (!queue) throw notFound('Queue');
    return queue;
  }

  async function tile(queue: Queue): Promise<QueueTile> {
    const [counts, isPaused] = await Promise.all([
      queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'),
      queue.isPaused(),
    ]);
    const n = (state: string) => counts[state] ?? 0;
    return {
      name: queue.name,
      isPaused,
      // BullMQ 6 keeps a paused queue's jobs in its wait list: they count as waiting, and isPaused says why.
      counts: { waiting: n('waiting') + n('prioritized'), active: n('active'), delayed: n('delayed'), failed: n('failed'), completed: n('completed') },
    };
  }

  async function act(queue: Queue, action: QueueAction): Promise<number> {
    switch (action) {
      case 'pause':
        await queue.pause();
        return 0;
      case 'resume':
        await queue.resume();
        return 0;
      case 'retry-failed': {
        const failed = await queue.getFailedCount();
        await queue.retryJobs({ state: 'failed' });
        return failed;
      }
      case 'clean-completed':
        return (await queue.clean(0, CLEAN_LIMIT, 'completed')).length;
    }
  }

  function failedJobOf(job: Job): FailedJob {
    const data = (job.data ?? {}) as { workflow?: unknown; kind?: unknown };
    const summary = typeof data.workflow === 'string' ? data.workflow : typeof data.kind === 'string' ? data.kind : null;
    return {
      id: String(job.id),
      name: job.name,
      failedReason: job.failedReason ?? '',
      failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      attemptsMade: job.attemptsMade,
      summary,
    };
  }

  async function instance(url: string): Promise<ComfyInstance> {
    try {
      const [stats, queue] = await Promise.all([deps.probe.systemStats(url), deps.probe.queue(url)]);
      // The node catalogue is big: a slow one leaves "cannot run" unknown, not the instance down.
      const cannotRun = await deps.probe.objectInfo(url).then(
        (info) => Object.fromEntries(unrunnableWorkflows(info)),
        () => null,
      );
      return {
        url,
        up: true,
        error: null,
        queue: { running: queue.running.length, pending: queue.pending.length },
        runningPrompts: queue.running,
        gpus: stats.devices.map((d) => ({ name: d.name, vramUsed: Math.max(0, d.vramTotal - d.vramFree), vramTotal: d.vramTotal })),
        cannotRun,
      };
    } catch (error) {
      return { url, up: false, error: whyDown(error), queue: null, runningPrompts: [], gpus: [], cannotRun: null };
    }
  }

  /** What a service counts as its work and its failures, read from its metrics. */
  function totals(name: ServiceName, samples: Sample[]): { counts: string; total: number; errors: number } | null {
    if (name === 'api') {
      return { counts: 'HTTP requests', total: sumOf(samples, 'http_request_duration_seconds_count'), errors: sumOf(samples, 'http_request_errors_total') };
    }
    if (name === 'worker') {
      return { counts: 'finished jobs', total: sumOf(samples, 'inkwell_jobs_total'), errors: sumOf(samples, 'inkwell_jobs_total', { status: 'failed' }) };
    }
    return null;
  }

  function health(name: ServiceName, samples: Sample[] | null): SystemOverview['services'][number] {
    const counted = samples && totals(name, samples);
    if (!samples || !counted) return { name, available: Boolean(samples), counts: null, total: null, errors: null, rate: null, errorRate: null };
    const at = now();
    const before = previous.get(name);
    previous.set(name, { at, total: counted.total, errors: counted.errors });
    const seconds = before ? (at - before.at) / 1000 : 0;
    // A restarted service starts its counters again: no rate across that.
    const rated = before && seconds > 0 && counted.total >= before.total && counted.errors >= before.errors;
    return {
      name,
      available: true,
      ...counted,
      rate: rated ? (counted.total - before.total) / seconds : null,
      errorRate: rated ? (counted.errors - before.errors) / seconds : null,
    };
  }

  function jobDurations(samples: Sample[]): NonNullable<SystemOverview['jobDurations']> {
    const workflows = [...new Set(samples.filter((s) => s.name === 'inkwell_job_duration_seconds_count').map((s) => s.labels.workflow ?? ''))];
    return workflows
      .map((workflow) => {
        const count = sumOf(samples, 'inkwell_job_duration_seconds_count', { workflow });
        const seconds = sumOf(samples, 'inkwell_job_duration_seconds_sum', { workflow });
        return { workflow, count, meanSeconds: count > 0 ? seconds / count : 0 };
      })
      .sort((a, b) => a.workflow.localeCompare(b.workflow));
  }

  return {
    listQueues: (): Promise<QueueTile[]> => fromRedis(Promise.all(deps.queues.map(tile))),

    /** Runs `action` on the queue `name` and records who did it; an unknown queue is a 404. */
    async runAction(auth: Auth, name: string, action: QueueAction, client: ClientInfo): Promise<QueueActionResult> {
      const queue = queueNamed(name);
      const { before, affected, after } = await fromRedis(
        (async () => {
          const before = await tile(queue);
          const affected = await act(queue, action);
          return { before, affected, after: await tile(queue) };
        })(),
      );
      await deps.audit.record({
        actorId: auth.user.id,
        action: AUDIT_ACTION[action],
        resourceType: 'queue',
        resourceId: name,
        oldValues: before,
        newValues: { ...after, affected },
        client,
      });
      return { ...after, affected };
    },

    async failedJobs(name: string, page: { page: number; limit: number }): Promise<{ items: FailedJob[]; total: number }> {
      const queue = queueNamed(name);
      const start = (page.page - 1) * page.limit;
      // Newest first: BullMQ keeps the failed set ordered by when each failed.
      const [jobs, total] = await fromRedis(Promise.all([queue.getJobs(['failed'], start, start + page.limit - 1, false), queue.getFailedCount()]));
      return { items: jobs.filter(Boolean).map(failedJobOf), total };
    },

    listInstances: (): Promise<ComfyInstance[]> => Promise.all(deps.comfyUrls.map(instance)),

    async system(): Promise<SystemOverview> {
      const names = Object.keys(deps.metrics) as ServiceName[];
      const read = await Promise.all(names.map((name) => deps.metrics[name]().then(parsePrometheusText, () => null)));
      const byName = new Map(names.map((name, i) => [name, read[i] ?? null]));
      const worker = byName.get('worker');
      const collab = byName.get('collab');
      return {
        services: names.map((name) => health(name, byName.get(name) ?? null)),
        jobDurations: worker ? jobDurations(worker) : null,
        collaboration: collab ? { connections: sumOf(collab, 'collab_connections'), documents: sumOf(collab, 'collab_documents_open') } : null,
      };
    },
  };
}

export type OperationsService = ReturnType<typeof createOperationsService>;
