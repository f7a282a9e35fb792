/**
 * Shapes of the admin area's operations routes (`queues:manage`): queues, ComfyUI instances, the system's
 * metrics. Shared by the API (validation, OpenAPI) and the web's admin pages.
 */
import { z } from 'zod';

/** A queue is named by its BullMQ name (`generation`, `comic-edits`). */
export const queueParams = z.object({ id: z.string().min(1).max(64) }).strict();
export const failedJobsQuery = z
  .object({ page: z.coerce.number().int().min(1).max(10_000).default(1), limit: z.coerce.number().int().min(1).max(100).default(20) })
  .strict();

export const queueCounts = z.object({
  waiting: z.number(),
  active: z.number(),
  delayed: z.number(),
  failed: z.number(),
  completed: z.number(),
});
export const queueTile = z.object({ name: z.string(), isPaused: z.boolean(), counts: queueCounts });
export type QueueTile = z.infer<typeof queueTile>;

export const queueActionResult = z.object({ name: z.string(), isPaused: z.boolean(), counts: queueCounts, affected: z.number() });
export type QueueActionResult = z.infer<typeof queueActionResult>;
export const QUEUE_ACTIONS = ['pause', 'resume', 'retry-failed', 'clean-completed'] as const;
export type QueueAction = (typeof QUEUE_ACTIONS)[number];

export const failedJob = z.object({
  id: z.string(),
  name: z.string(),
  failedReason: z.string(),
  failedAt: z.string().nullable(),
  attemptsMade: z.number(),
  /** The workflow of a generation job, the kind of a comic edit. */
  summary: z.string().nullable(),
});
export type FailedJob = z.infer<typeof failedJob>;

export const comfyInstance = z.object({
  url: z.string(),
  up: z.boolean(),
  /** Why it reads as down. */
  error: z.string().nullable(),
  queue: z.object({ running: z.number(), pending: z.number() }).nullable(),
  runningPrompts: z.array(z.string()),
  gpus: z.array(z.object({ name: z.string(), vramUsed: z.number(), vramTotal: z.number() })),
  /** Workflow id → what the instance lacks to run it (nodes or models); null when its catalogue is unknown. */
  cannotRun: z.record(z.string(), z.array(z.string())).nullable(),
});
export type ComfyInstance = z.infer<typeof comfyInstance>;

export const serviceHealth = z.object({
  name: z.enum(['api', 'collab', 'worker']),
  available: z.boolean(),
  /** What is counted: HTTP requests for the API, finished jobs for the worker; null when the service counts none. */
  counts: z.string().nullable(),
  total: z.number().nullable(),
  errors: z.number().nullable(),
  /** Per second since the previous look (null on the first). */
  rate: z.number().nullable(),
  errorRate: z.number().nullable(),
});
export const systemOverview = z.object({
  services: z.array(serviceHealth),
  jobDurations: z.array(z.object({ workflow: z.string(), count: z.number(), meanSeconds: z.number() })).nullable(),
  collaboration: z.object({ connections: z.number(), documents: z.number() }).nullable(),
});
export type SystemOverview = z.infer<typeof systemOverview>;
