import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { publicCatalogue } from '@inkwell/workflows';
import { createJobBody, jobItem, jobsQuery, ok, okPage, siteStatus, uuidParams, workflowInfo } from '../contract.ts';
import { requireAuth } from '../plugins/auth.ts';
import { AppError } from '../errors.ts';
import type { JobService, JobSignal, PresentedJob } from '../services/jobs.ts';

const tags = ['generation'];
const HEARTBEAT_MS = 15_000;
/**
 * Event streams one account may hold open on an API instance at once: the studio opens three, and a few tabs
 * of it fit. Each stream holds a connection, a subscription and a place among the jobs whose queue positions
 * are read: without a bound, one account could open them by the thousand.
 */
export const MAX_STREAMS_PER_ACCOUNT = 12;

export const statusRoutes: FastifyPluginAsyncZod<{ generationSimulated: boolean }> = async (app, { generationSimulated }) => {
  app.get(
    '/',
    { config: { permission: 'public' }, schema: { tags, summary: 'What the site runs on (e.g. simulated generation)', response: { 200: ok(siteStatus) } } },
    async () => ({ success: true as const, data: { generationSimulated } }),
  );
};

export const workflowRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/',
    {
      config: { permission: 'jobs:create' },
      schema: { tags, summary: 'The workflows, with the parameters (JSON Schema) and limits of my role', response: { 200: ok(z.array(workflowInfo)) } },
    },
    async (request) => {
      const { user } = requireAuth(request);
      return {
        success: true as const,
        data: publicCatalogue(user.role.level).map((w) => ({ ...w, imageParams: [...w.imageParams], allowed: user.permissions.has(w.permission) })),
      };
    },
  );
};

export const jobRoutes: FastifyPluginAsyncZod<{ jobs: JobService }> = async (app, { jobs }) => {
  /** Event streams open on this instance, by account. */
  const streamsOpen = new Map<string, number>();

  app.post(
    '/',
    {
      config: { permission: 'jobs:create' },
      schema: { tags, summary: 'Queue a generation (optionally into a comic panel)', body: createJobBody, response: { 202: ok(jobItem) } },
    },
    async (request, reply) => reply.status(202).send({ success: true as const, data: await jobs.create(requireAuth(request), request.body) }),
  );

  app.get(
    '/',
    { config: { permission: 'jobs:create' }, schema: { tags, summary: 'My generations, newest first', querystring: jobsQuery, response: { 200: okPage(jobItem) } } },
    async (request) => {
      const { items, total } = await jobs.list(requireAuth(request), request.query);
      return { success: true as const, data: items, pagination: { page: request.query.page, limit: request.query.limit, total } };
    },
  );

  app.get(
    '/:id',
    { config: { permission: 'jobs:create' }, schema: { tags, summary: 'One of my generations', params: uuidParams, response: { 200: ok(jobItem) } } },
    async (request) => ({ success: true as const, data: await jobs.get(requireAuth(request), request.params.id) }),
  );

  app.delete(
    '/:id',
    { config: { permission: 'jobs:create' }, schema: { tags, summary: 'Delete one of my generations that has ended, and its picture', params: uuidParams, response: { 200: ok(z.object({})) } } },
    async (request) => {
      await jobs.remove(requireAuth(request), request.params.id, request.client);
      return { success: true as const, data: {} };
    },
  );

  app.post(
    '/:id/cancel',
    {
      config: { permission: 'jobs:create' },
      schema: { tags, summary: 'Cancel: a queued job is removed, a running one interrupted', params: uuidParams, response: { 202: ok(jobItem) } },
    },
    async (request, reply) => reply.status(202).send({ success: true as const, data: await jobs.cancel(requireAuth(request), request.params.id) }),
  );

  app.get(
    '/:id/events',
    {
      config: { permission: 'jobs:create' },
      schema: {
        tags,
        summary: `Server-sent events: state, queued {position} (when it changes), started, progress, retrying, then done, failed or cancelled; at most ${MAX_STREAMS_PER_ACCOUNT} open per account (429 too_many_streams)`,
        params: uuidParams,
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const id = request.params.id;
      if ((streamsOpen.get(auth.user.id) ?? 0) >= MAX_STREAMS_PER_ACCOUNT) {
        throw new AppError(429, 'too_many_streams', `${MAX_STREAMS_PER_ACCOUNT} live views of your generations are open already: close a studio tab or two and try again`);
      }
      let closed = false;
      const send = (event: string, data: unknown) => {
        if (!closed) reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      let lastPosition: number | null = null;
      const sendPosition = (position: number | null) => {
        if (position === null || position === lastPosition) return;
        lastPosition = position;
        send('queued', { position });
      };

      // Watched before the state is read, so that nothing that happens in between is missed; what is heard
      // waits in line until the stream has begun with that state.
      let begun!: () => void;
      let pending = new Promise<void>((resolve) => (begun = resolve));
      const onSignal = (signal: JobSignal) => {
        pending = pending.then(() => relay(signal)).catch((err: unknown) => request.log.warn({ err }, 'job event relay failed'));
      };
      const stop = await jobs.watch(auth, id, onSignal);
      streamsOpen.set(auth.user.id, (streamsOpen.get(auth.user.id) ?? 0) + 1);

      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx must pass events through as they come.
        'x-accel-buffering': 'no',
      });

      const heartbeat = setInterval(() => !closed && reply.raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const finish = () => {
        if (closed) return;
        closed = true;
        stop();
        const left = (streamsOpen.get(auth.user.id) ?? 1) - 1;
        if (left > 0) streamsOpen.set(auth.user.id, left);
        else streamsOpen.delete(auth.user.id);
        clearInterval(heartbeat);
        reply.raw.end();
      };
      request.raw.on('close', finish);
      // A browser gone while the stream was being set up has closed already: its place is freed now, not never.
      if (request.raw.socket.destroyed) finish();

      async function relay(signal: JobSignal) {
        if (closed) return;
        if (signal.kind === 'active') return send('started', {});
        if (signal.kind === 'position') return sendPosition(signal.position);
        if (signal.kind === 'progress') {
          const { percent, step, steps, preview } = signal.progress;
          return send('progress', { percent, step, steps, preview });
        }
        await announce(await jobs.get(auth, id));
      }

      /** Sends the job's end, or that it will be tried again. */
      async function announce(job: PresentedJob) {
        if (job.status === 'completed') send('done', job);
        else if (job.status === 'failed') send('failed', job);
        else if (job.status === 'cancelled') send('cancelled', job);
        else if (job.status === 'queued' && job.error) send('retrying', { message: job.error });
        if (jobs.isTerminal(job.status)) finish();
      }

      try {
        const initial = await jobs.get(auth, id);
        send('state', initial);
        sendPosition(initial.queuePosition);
        await announce(initial);
      } catch (err) {
        // The headers are out: a stream that cannot say where its job stands ends, and the browser asks again.
        request.log.warn({ err }, 'job event stream failed to begin');
        finish();
      } finally {
        begun();
      }
    },
  );
};
