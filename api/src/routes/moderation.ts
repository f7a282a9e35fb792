import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  REPORT_REASONS,
  actionParams,
  adminReportsQuery,
  appealBody,
  appealItem,
  createReportBody,
  markReadBody,
  moderateBody,
  moderationHistoryItem,
  moderationStats,
  moderatorNote,
  noteBody,
  notificationItem,
  notificationsQuery,
  ok,
  okPage,
  reportGroup,
  reportReasonInfo,
  reportReceipt,
  reviewFeedItem,
  reviewFeedQuery,
  suspendBody,
  suspension,
  targetParams,
  targetView,
  uuidParams,
} from '../contract.ts';
import { requireAuth } from '../plugins/auth.ts';
import { REPORT_ROUTE_LIMIT } from '../plugins/rate-limit.ts';
import type { ModerationService } from '../services/moderation.ts';

type Options = { moderation: ModerationService };

/** Reporting, for anyone signed in: `/api/v1/reports`. */
export const reportRoutes: FastifyPluginAsyncZod<Options> = async (app, { moderation }) => {
  const tags = ['reports'];
  app.get(
    '/reasons',
    { config: { permission: 'public' }, schema: { tags, summary: 'What may be reported, each reason with its rule', response: { 200: ok(z.array(reportReasonInfo)) } } },
    async () => ({ success: true as const, data: REPORT_REASONS.map((r) => ({ ...r })) }),
  );

  app.post(
    '/',
    {
      config: { permission: 'reports:create', rateLimit: REPORT_ROUTE_LIMIT },
      schema: {
        tags,
        summary: 'Report a comic, picture or user you can see; reporting it again while open updates your report',
        body: createReportBody,
        response: { 201: ok(reportReceipt) },
      },
    },
    async (request, reply) => reply.status(201).send({ success: true as const, data: await moderation.report(requireAuth(request), request.body) }),
  );
};

/** What happened to the caller's things, and their appeals: `/api/v1/notifications`, `/api/v1/appeals`. */
export const notificationRoutes: FastifyPluginAsyncZod<Options> = async (app, { moderation }) => {
  const tags = ['notifications'];
  app.get(
    '/notifications',
    { config: { permission: 'account:manage' }, schema: { tags, summary: 'My notifications, newest first', querystring: notificationsQuery, response: { 200: okPage(notificationItem) } } },
    async (request) => {
      const { items, total } = await moderation.notifications(requireAuth(request), request.query);
      return { success: true as const, data: items, pagination: { page: request.query.page, limit: request.query.limit, total } };
    },
  );

  app.post(
    '/notifications/read',
    {
      config: { permission: 'account:manage' },
      schema: { tags, summary: 'Mark my notifications read: those named, or all', body: markReadBody, response: { 200: ok(z.object({ marked: z.number().int() })) } },
    },
    async (request) => ({ success: true as const, data: await moderation.markRead(requireAuth(request), request.body.ids) }),
  );

  app.post(
    '/appeals',
    {
      config: { permission: 'account:manage' },
      schema: { tags, summary: 'Appeal once against a moderation action on my comic or picture', body: appealBody, response: { 201: ok(appealItem) } },
    },
    async (request, reply) => reply.status(201).send({ success: true as const, data: await moderation.appeal(requireAuth(request), request.body) }),
  );
};

/** The moderators' side, under `/api/v1/admin`. */
export const moderationAdminRoutes: FastifyPluginAsyncZod<Options> = async (app, { moderation }) => {
  const tags = ['moderation'];
  const review = { permission: 'moderation:review' } as const;

  app.get(
    '/reports',
    { config: review, schema: { tags, summary: 'Reports grouped by target (and open appeals), most recently reported first', querystring: adminReportsQuery, response: { 200: okPage(reportGroup) } } },
    async (request) => {
      const { items, total } = await moderation.queue(request.query);
      return { success: true as const, data: items, pagination: { page: request.query.page, limit: request.query.limit, total } };
    },
  );

  app.get(
    '/review-feed',
    { config: review, schema: { tags, summary: 'Newly published comics and public pictures no moderator has acted on, newest first', querystring: reviewFeedQuery, response: { 200: okPage(reviewFeedItem) } } },
    async (request) => {
      const { items, total } = await moderation.reviewFeed(request.query);
      return { success: true as const, data: items, pagination: { page: request.query.page, limit: request.query.limit, total } };
    },
  );

  app.get(
    '/targets/:type/:id',
    { config: review, schema: { tags, summary: 'A target: its reports, history, appeals and moderator notes', params: targetParams, response: { 200: ok(targetView) } } },
    async (request) => ({ success: true as const, data: await moderation.target(request.params.type, request.params.id) }),
  );

  app.post(
    '/targets/:type/:id/notes',
    { config: review, schema: { tags, summary: 'Add a note on a target that only moderators see', params: targetParams, body: noteBody, response: { 201: ok(moderatorNote) } } },
    async (request, reply) => {
      const note = await moderation.addNote(requireAuth(request), request.params.type, request.params.id, request.body.body);
      return reply.status(201).send({ success: true as const, data: note });
    },
  );

  app.post(
    '/moderation',
    { config: review, schema: { tags, summary: 'Hide, remove, restore, dismiss or warn, with a reason; resolves the reports it names', body: moderateBody, response: { 201: ok(moderationHistoryItem) } } },
    async (request, reply) => reply.status(201).send({ success: true as const, data: await moderation.act(requireAuth(request), request.body, request.client) }),
  );

  app.post(
    '/moderation/:actionId/undo',
    { config: review, schema: { tags, summary: 'Undo an action (the latest on its target)', params: actionParams, response: { 200: ok(moderationHistoryItem) } } },
    async (request) => ({ success: true as const, data: await moderation.undo(requireAuth(request), request.params.actionId, request.client) }),
  );

  app.get(
    '/moderation/stats',
    { config: review, schema: { tags, summary: 'Median time from first report to first action, and open work', response: { 200: ok(moderationStats) } } },
    async () => ({ success: true as const, data: await moderation.stats() }),
  );

  app.post(
    '/users/:id/suspend',
    {
      config: { permission: 'users:manage' },
      schema: { tags, summary: 'Suspend a user until a time: they can sign in and read, not publish, generate or upload', params: uuidParams, body: suspendBody, response: { 200: ok(suspension) } },
    },
    async (request) => {
      const change = { until: new Date(request.body.until), reason: request.body.reason };
      return { success: true as const, data: await moderation.suspend(requireAuth(request), request.params.id, change, request.client) };
    },
  );

  app.post(
    '/users/:id/unsuspend',
    { config: { permission: 'users:manage' }, schema: { tags, summary: 'Lift a suspension', params: uuidParams, response: { 200: ok(suspension) } } },
    async (request) => ({ success: true as const, data: await moderation.suspend(requireAuth(request), request.params.id, null, request.client) }),
  );
};
