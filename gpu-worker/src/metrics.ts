import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Instance } from './worker/instances.ts';

/** Prometheus metrics of a gpu-worker: the queue, job durations and outcomes, each ComfyUI instance. */
export function createWorkerMetrics(queue: Queue) {
  const registry = new Registry();
  // The event-loop delay is sampled every 100 ms, not prom-client's 10 ms: 100 wake-ups a second cost an idle
  // process 9 ms of CPU a second on a 2-core machine, against 1-2 ms at 100 ms, and a stall still shows.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  new Gauge({
    name: 'inkwell_queue_jobs',
    help: 'Jobs in the generation queue, by state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed');
      for (const [state, n] of Object.entries(counts)) this.set({ queue: queue.name, state }, n);
    },
  });
  const duration = new Histogram({
    name: 'inkwell_job_duration_seconds',
    help: 'Time from a worker taking a job to its end',
    labelNames: ['workflow', 'type', 'status'] as const,
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const finishedTotal = new Counter({
    name: 'inkwell_jobs_total',
    help: 'Jobs ended, by workflow and outcome',
    labelNames: ['workflow', 'status'] as const,
    registers: [registry],
  });
  const up = new Gauge({ name: 'inkwell_comfyui_up', help: 'Whether a ComfyUI instance answers', labelNames: ['instance'] as const, registers: [registry] });
  const active = new Gauge({
    name: 'inkwell_comfyui_active_prompts',
    help: 'Prompts this worker has on a ComfyUI instance',
    labelNames: ['instance'] as const,
    registers: [registry],
  });

  return {
    registry,
    finished(workflow: string, type: string, status: 'completed' | 'failed' | 'cancelled', seconds: number) {
      duration.observe({ workflow, type, status }, seconds);
      finishedTotal.inc({ workflow, status });
    },
    instance(instance: Instance) {
      up.set({ instance: instance.url }, instance.healthy ? 1 : 0);
      active.set({ instance: instance.url }, instance.active);
    },
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
