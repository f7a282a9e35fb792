import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_NAMED_VERSIONS, ok, okPage, uuidParams } from '../contract.ts';
import { requireAuth } from '../plugins/auth.ts';
import type { VersionService } from '../services/versions.ts';
import { createVersionBody, restoreResult, versionDetail, versionItem, versionParams, versionsQuery } from '../versions-contract.ts';

const tags = ['versions'];

export const versionRoutes: FastifyPluginAsyncZod<{ versions: VersionService }> = async (app, { versions }) => {
  app.get(
    '/:id/versions',
    {
      config: { permission: 'comics:read', comicRole: 'viewer' },
      schema: { tags, summary: "The comic's versions, newest first (members)", params: uuidParams, querystring: versionsQuery, response: { 200: okPage(versionItem) } },
    },
    async (request) => {
      const { items, total } = await versions.list(requireAuth(request), request.params.id, request.query);
      return { success: true as const, data: items, pagination: { ...request.query, total } };
    },
  );

  app.post(
    '/:id/versions',
    {
      config: { permission: 'comics:create', comicRole: 'editor' },
      schema: {
        tags,
        summary: 'Save the comic as it is now as a named version (editors and owner)',
        description: `Snapshots the stored document, which follows the live one within the store debounce (1 to 5 s). A comic keeps at most ${MAX_NAMED_VERSIONS} named versions: one more is refused (409 \`too_many_versions\`) until one is deleted.`,
        params: uuidParams,
        body: createVersionBody,
        response: { 201: ok(versionItem) },
      },
    },
    async (request, reply) => reply.status(201).send({ success: true as const, data: await versions.save(requireAuth(request), request.params.id, request.body.name) }),
  );

  app.get(
    '/:id/versions/:versionId',
    {
      config: { permission: 'comics:read', comicRole: 'viewer' },
      schema: {
        tags,
        summary: 'A version: its pages, panels, text and pictures, and what changed since the version before (members)',
        params: versionParams,
        response: { 200: ok(versionDetail) },
      },
    },
    async (request) => ({ success: true as const, data: await versions.get(requireAuth(request), request.params.id, request.params.versionId) }),
  );

  app.delete(
    '/:id/versions/:versionId',
    {
      config: { permission: 'comics:create', comicRole: 'editor' },
      schema: {
        tags,
        summary: 'Delete a named version, or one kept before a restore (editors and owner)',
        description: `Automatic and publish versions cannot be deleted (409 \`version_kept\`). A comic keeps at most ${MAX_NAMED_VERSIONS} named versions: deleting one makes room for another.`,
        params: versionParams,
        response: { 200: ok(z.object({})) },
      },
    },
    async (request) => {
      await versions.remove(requireAuth(request), request.params.id, request.params.versionId, request.client);
      return { success: true as const, data: {} };
    },
  );

  app.post(
    '/:id/versions/:versionId/restore',
    {
      config: { permission: 'comics:create', comicRole: 'editor' },
      schema: {
        tags,
        summary: 'Bring the comic back to a version, as a change everyone sees live (editors and owner)',
        description: "The comic as it was is kept first as a 'restore' version (returned as `before`): restoring that one undoes this.",
        params: versionParams,
        response: { 202: ok(restoreResult) },
      },
    },
    async (request, reply) =>
      reply.status(202).send({ success: true as const, data: await versions.restore(requireAuth(request), request.params.id, request.params.versionId) }),
  );
};
