import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ok, okPage } from '../contract.ts';
import {
  QUEUE_ACTIONS,
  comfyInstance,
  failedJob,
  failedJobsQuery,
  queueActionResult,
  queueParams,
  queueTile,
  systemOverview,
} from '../operations-contract.ts';
import { requireAuth } from '../plugins/auth.ts';
import type { OperationsService } from '../services/operations.ts';

const tags = ['admin'];
const config = { permission: 'queues:manage' } as const;

const SUMMARIES: Record<(typeof QUEUE_ACTIONS)[number], string> = {
  pause: 'Pause a queue: running jobs finish, no new one starts',
  resume: 'Resume a paused queue',
  'retry-failed': 'Retry every failed job of a queue',
  'clean-completed': 'Remove the completed jobs of a queue',
};

/** Queues, ComfyUI instances and the system's metrics, for the admin area's operations pages. */
export const adminOperationsRoutes: FastifyPluginAsyncZod<{ operations: OperationsService }> = async (app, { operations }) => {
  app.get(
    '/queues',
    { config, schema: { tags, summary: 'Every job queue with its counts by state', response: { 200: ok(z.array(queueTile)) } } },
    async () => ({ success: true as const, data: await operations.listQueues() }),
  );

  for (const action of QUEUE_ACTIONS) {
    app.post(
      `/queues/:id/${action}`,
      { config, schema: { tags, summary: SUMMARIES[action], params: queueParams, response: { 200: ok(queueActionResult) } } },
      async (request) => ({
        success: true as const,
        data: await operations.runAction(requireAuth(request), request.params.id, action, request.client),
      }),
    );
  }

  app.get(
    '/queues/:id/failed',
    {
      config,
      schema: { tags, summary: 'Failed jobs of a queue with their errors, newest first', params: queueParams, querystring: failedJobsQuery, response: { 200: okPage(failedJob) } },
    },
    async (request) => {
      const { items, total } = await operations.failedJobs(request.params.id, request.query);
      return { success: true as const, data: items, pagination: { page: request.query.page, limit: request.query.limit, total } };
    },
  );

  app.get(
    '/instances',
    { config, schema: { tags, summary: 'Each ComfyUI instance: up or down, its queue, GPU and the workflows it cannot run', response: { 200: ok(z.array(comfyInstance)) } } },
    async () => ({ success: true as const, data: await operations.listInstances() }),
  );

  app.get(
    '/system',
    { config, schema: { tags, summary: "Request and error rates, job durations and collaboration, from the services' metrics", response: { 200: ok(systemOverview) } } },
    async () => ({ success: true as const, data: await operations.system() }),
  );
};
