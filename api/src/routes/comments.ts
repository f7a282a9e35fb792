import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_COMMENT_REPLIES, MAX_COMMENT_THREADS, commentParams, commentThread, createCommentBody, ok, updateCommentBody, uuidParams } from '../contract.ts';
import { requireAuth } from '../plugins/auth.ts';
import { COMMENT_ROUTE_LIMIT } from '../plugins/rate-limit.ts';
import type { CommentService } from '../services/comments.ts';

const tags = ['comments'];
// Writing is `comics:create` like the rest of a comic's work, so a suspended account reads comments but posts none.
const write = { permission: 'comics:create', comicRole: 'viewer' } as const;

/** Comments on a comic's canvas, under `/api/v1/comics`: every member, viewers included. */
export const commentRoutes: FastifyPluginAsyncZod<{ comments: CommentService }> = async (app, { comments }) => {
  app.get(
    '/:id/comments',
    { config: { permission: 'comics:read', comicRole: 'viewer' }, schema: { tags, summary: 'The comic’s comment threads with their replies, oldest first', params: uuidParams, response: { 200: ok(z.array(commentThread)) } } },
    async (request) => ({ success: true as const, data: await comments.list(requireAuth(request), request.params.id) }),
  );

  app.get(
    '/:id/comments/:commentId',
    {
      config: { permission: 'comics:read', comicRole: 'viewer' },
      schema: {
        tags,
        summary: 'One thread with its replies, by its first comment’s id (what a change announced on the canvas names)',
        description: 'A reply’s id names no thread (404), nor does a thread that was deleted.',
        params: commentParams,
        response: { 200: ok(commentThread) },
      },
    },
    async (request) => ({ success: true as const, data: await comments.thread(requireAuth(request), request.params.id, request.params.commentId) }),
  );

  app.post(
    '/:id/comments',
    {
      config: { ...write, rateLimit: COMMENT_ROUTE_LIMIT },
      schema: {
        tags,
        summary: 'Start a thread pinned to a shape or a point, or reply (parentId); @username notifies a member',
        description: `A comic holds at most ${MAX_COMMENT_THREADS} threads (resolved ones count until deleted) and a thread at most ${MAX_COMMENT_REPLIES} replies: one more thread is refused (409 \`too_many_comments\`) and one more reply (409 \`too_many_replies\`) until one is deleted. A refused comment is not stored and notifies no one.`,
        params: uuidParams,
        body: createCommentBody,
        response: { 201: ok(commentThread) },
      },
    },
    async (request, reply) => reply.status(201).send({ success: true as const, data: await comments.create(requireAuth(request), request.params.id, request.body) }),
  );

  app.patch(
    '/:id/comments/:commentId',
    {
      config: { ...write, rateLimit: COMMENT_ROUTE_LIMIT },
      schema: {
        tags,
        summary: 'Edit your comment ({ body }), or resolve or reopen its thread ({ resolved }, any member)',
        params: commentParams,
        body: updateCommentBody,
        response: { 200: ok(commentThread) },
      },
    },
    async (request) => ({ success: true as const, data: await comments.update(requireAuth(request), request.params.id, request.params.commentId, request.body) }),
  );

  app.delete(
    '/:id/comments/:commentId',
    { config: write, schema: { tags, summary: 'Delete your comment, or any (the owner); a thread goes with its replies', params: commentParams, response: { 200: ok(z.object({})) } } },
    async (request) => {
      await comments.remove(requireAuth(request), request.params.id, request.params.commentId);
      return { success: true as const, data: {} };
    },
  );
};
