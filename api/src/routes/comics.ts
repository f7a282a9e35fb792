import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  acceptInviteBody,
  addMemberBody,
  collabToken,
  comicAccess,
  comicDetail,
  comicInvite,
  comicMember,
  comicSummary,
  comicsQuery,
  createComicBody,
  createInviteBody,
  inviteParams,
  memberParams,
  ok,
  okPage,
  publication,
  publishBody,
  publishDraft,
  updateComicBody,
  updateMemberBody,
  uuidParams,
} from '../contract.ts';
import { unauthenticated } from '../errors.ts';
import { requireAuth } from '../plugins/auth.ts';
import type { CollabTokens } from '../services/collab-tokens.ts';
import type { ComicService } from '../services/comics.ts';
import type { ModerationService } from '../services/moderation.ts';
import type { PublishingService } from '../services/publishing.ts';

const tags = ['comics'];
const empty = ok(z.object({}));

/** Dates as ISO strings, as the contract says. */
function dates<T extends Record<string, unknown>>(row: T): { [K in keyof T]: T[K] extends Date ? string : T[K] } {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])) as never;
}

export const comicRoutes: FastifyPluginAsyncZod<{
  comics: ComicService;
  collabTokens: CollabTokens;
  publishing: PublishingService;
  moderation: Pick<ModerationService, 'ownerView'>;
}> = async (app, { comics, collabTokens, publishing, moderation }) => {
  app.get(
    '/',
    { config: { permission: 'comics:create' }, schema: { tags, summary: 'My comics, most recently changed first', querystring: comicsQuery, response: { 200: okPage(comicSummary) } } },
    async (request) => {
      const { items, total } = await comics.list(requireAuth(request), request.query);
      return { success: true as const, data: items.map(dates), pagination: { ...request.query, total } };
    },
  );

  app.post(
    '/',
    { config: { permission: 'comics:create' }, schema: { tags, summary: 'Create a comic', body: createComicBody, response: { 201: ok(comicSummary) } } },
    async (request, reply) => reply.status(201).send({ success: true as const, data: dates(await comics.create(requireAuth(request), request.body, request.client)) }),
  );

  app.get(
    '/:id',
    { config: { permission: 'comics:read', comicRole: 'viewer' }, schema: { tags, summary: 'A comic: members see it, anyone sees a published one', params: uuidParams, response: { 200: ok(comicDetail) } } },
    async (request) => {
      const comic = await comics.get(request.auth, request.params.id);
      // Its owner is told what moderators decided, and may appeal.
      const moderated = comic.myRole === 'owner' ? await moderation.ownerView('comic', comic.id) : null;
      return { success: true as const, data: { ...dates(comic), moderation: moderated } };
    },
  );

  app.patch(
    '/:id',
    {
      config: { permission: 'comics:create', comicRole: 'editor' },
      schema: { tags, summary: 'Rename, describe (editors) or change privacy (owner)', params: uuidParams, body: updateComicBody, response: { 200: ok(comicDetail) } },
    },
    async (request) => ({ success: true as const, data: dates(await comics.update(requireAuth(request), request.params.id, request.body, request.client)) }),
  );

  app.delete(
    '/:id',
    { config: { permission: 'comics:create', comicRole: 'owner' }, schema: { tags, summary: 'Delete a comic (owner)', params: uuidParams, response: { 200: empty } } },
    async (request) => {
      const { publishedSnapshot } = await comics.remove(requireAuth(request), request.params.id, request.client);
      if (publishedSnapshot) await publishing.discard(publishedSnapshot);
      return { success: true as const, data: {} };
    },
  );

  app.post(
    '/:id/publish',
    {
      config: { permission: 'content:publish', comicRole: 'owner' },
      schema: {
        tags,
        summary: 'Publish the comic as it is now, or update the published version (owner)',
        description: 'Snapshots the summary, renders each page (without lettering) and a cover: later edits reach readers only when published again.',
        params: uuidParams,
        body: publishBody,
        response: { 200: ok(publication) },
      },
    },
    async (request) => ({ success: true as const, data: await publishing.publish(requireAuth(request), request.params.id, request.body, request.client) }),
  );

  app.get(
    '/:id/publication',
    {
      config: { permission: 'content:publish', comicRole: 'owner' },
      schema: { tags, summary: "The publication, and each panel's text, prompt and alt text, for the Publish dialog (owner)", params: uuidParams, response: { 200: ok(publishDraft) } },
    },
    async (request) => ({ success: true as const, data: await publishing.draft(requireAuth(request), request.params.id) }),
  );

  app.post(
    '/:id/unpublish',
    { config: { permission: 'content:publish', comicRole: 'owner' }, schema: { tags, summary: 'Take the comic away from readers (owner)', params: uuidParams, response: { 200: empty } } },
    async (request) => {
      await publishing.unpublish(requireAuth(request), request.params.id, request.client);
      return { success: true as const, data: {} };
    },
  );

  app.get(
    '/:id/members',
    { config: { permission: 'comics:create', comicRole: 'viewer' }, schema: { tags, summary: "The comic's members", params: uuidParams, response: { 200: ok(z.array(comicMember)) } } },
    async (request) => ({ success: true as const, data: (await comics.members(requireAuth(request), request.params.id)).map(dates) }),
  );

  app.post(
    '/:id/members',
    {
      config: { permission: 'comics:create', comicRole: 'owner' },
      schema: { tags, summary: 'Invite someone by username (owner)', params: uuidParams, body: addMemberBody, response: { 201: ok(comicMember) } },
    },
    async (request, reply) =>
      reply.status(201).send({ success: true as const, data: dates(await comics.addMember(requireAuth(request), request.params.id, request.body, request.client)) }),
  );

  app.patch(
    '/:id/members/:userId',
    {
      config: { permission: 'comics:create', comicRole: 'owner' },
      schema: { tags, summary: "Change a member's role (owner)", params: memberParams, body: updateMemberBody, response: { 200: ok(comicMember) } },
    },
    async (request) => ({
      success: true as const,
      data: dates(await comics.updateMember(requireAuth(request), request.params.id, request.params.userId, request.body.role, request.client)),
    }),
  );

  app.delete(
    '/:id/members/:userId',
    { config: { permission: 'comics:create', comicRole: 'owner' }, schema: { tags, summary: 'Remove a member (owner), or leave (yourself)', params: memberParams, response: { 200: empty } } },
    async (request) => {
      await comics.removeMember(requireAuth(request), request.params.id, request.params.userId, request.client);
      return { success: true as const, data: {} };
    },
  );

  app.get(
    '/:id/invites',
    { config: { permission: 'comics:create', comicRole: 'owner' }, schema: { tags, summary: 'Open share links (owner)', params: uuidParams, response: { 200: ok(z.array(comicInvite)) } } },
    async (request) => ({ success: true as const, data: (await comics.listInvites(requireAuth(request), request.params.id)).map(dates) }),
  );

  app.post(
    '/:id/invites',
    {
      config: { permission: 'comics:create', comicRole: 'owner' },
      schema: { tags, summary: 'Create a share link that grants a role (owner)', params: uuidParams, body: createInviteBody, response: { 201: ok(comicInvite) } },
    },
    async (request, reply) =>
      reply.status(201).send({ success: true as const, data: dates(await comics.createInvite(requireAuth(request), request.params.id, request.body, request.client)) }),
  );

  app.delete(
    '/:id/invites/:inviteId',
    { config: { permission: 'comics:create', comicRole: 'owner' }, schema: { tags, summary: 'Revoke a share link (owner)', params: inviteParams, response: { 200: empty } } },
    async (request) => {
      await comics.revokeInvite(requireAuth(request), request.params.id, request.params.inviteId, request.client);
      return { success: true as const, data: {} };
    },
  );

  app.post(
    '/:id/collab-token',
    {
      config: { permission: 'comics:read', comicRole: 'viewer' },
      schema: { tags, summary: 'A five-minute token to open the live document without the cookie', params: uuidParams, response: { 201: ok(collabToken) } },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      await comics.requireRole(auth, request.params.id, 'viewer');
      const issued = await collabTokens.issue(auth.user.id, request.params.id, auth.sessionId);
      return reply.status(201).send({ success: true as const, data: { token: issued.token, expiresAt: issued.expiresAt.toISOString() } });
    },
  );

  app.get(
    '/:id/access',
    {
      // Public because a collab token, not a session, may be what proves the caller.
      config: { permission: 'public', comicRole: 'viewer' },
      schema: { tags, summary: "The caller's role on a comic (session cookie or Bearer collab token)", params: uuidParams, response: { 200: ok(comicAccess) } },
    },
    async (request) => {
      const bearer = request.headers.authorization?.match(/^Bearer (\S+)$/)?.[1];
      const auth = request.auth;
      const caller = auth ? { userId: auth.user.id, sessionId: auth.sessionId } : bearer ? await collabTokens.resolve(bearer, request.params.id) : null;
      if (!caller) throw unauthenticated();
      return { success: true as const, data: { ...(await comics.access(caller.userId, request.params.id)), sessionId: caller.sessionId } };
    },
  );
};

export const inviteRoutes: FastifyPluginAsyncZod<{ comics: ComicService }> = async (app, { comics }) => {
  app.post(
    '/accept',
    {
      config: { permission: 'comics:create' },
      schema: { tags, summary: 'Join a comic through a share link', body: acceptInviteBody, response: { 200: ok(z.object({ comicId: z.string(), role: z.string() })) } },
    },
    async (request) => ({ success: true as const, data: await comics.acceptInvite(requireAuth(request), request.body.token, request.client) }),
  );
};
