import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ok, readerComic, readerImageParams, readerImageQuery, uuidParams } from '../contract.ts';
import { PUBLIC_CACHE, RESTRICTED_CACHE } from '../lib/moderation.ts';
import type { PublishingService } from '../services/publishing.ts';

const tags = ['read'];

/**
 * The reader's side of a published comic, for anyone who may read (signed out too): its data, its images,
 * and a read counter. Unpublished and private comics answer 404 like comics that do not exist.
 */
export const readRoutes: FastifyPluginAsyncZod<{ publishing: PublishingService }> = async (app, { publishing }) => {
  app.get(
    '/:id',
    {
      config: { permission: 'comics:read' },
      schema: { tags, summary: 'A published comic as readers see it (the published snapshot)', params: uuidParams, response: { 200: ok(readerComic) } },
    },
    async (request) => ({ success: true as const, data: await publishing.read(request.params.id, request.auth) }),
  );

  app.post(
    '/:id/view',
    {
      config: { permission: 'comics:read' },
      schema: {
        tags,
        summary: 'Count one read of a published comic (the reader calls it once per visit; who read is not kept)',
        params: uuidParams,
        response: { 200: ok(z.object({ readCount: z.number().int() })) },
      },
    },
    async (request) => ({ success: true as const, data: { readCount: await publishing.countRead(request.params.id) } }),
  );

  app.get(
    '/:id/images/:snapshotId/:image',
    {
      config: { permission: 'comics:read' },
      schema: { tags, summary: "A published page image or cover as WebP, at one of the reader's widths", params: readerImageParams, querystring: readerImageQuery },
    },
    async (request, reply) => {
      const { id, snapshotId, image } = request.params;
      const { body, size, restricted } = await publishing.image(id, snapshotId, image, Number(request.query.w ?? 1200), request.auth);
      // The snapshot id in the address changes with each publication; a short max-age lets moderation (hiding
      // a comic) and unpublishing take effect in caches within a minute. A hidden comic's images, seen by its
      // owner and moderators only, are never kept by a shared cache.
      return reply
        .type('image/webp')
        .header('content-length', size)
        .header('cache-control', restricted ? RESTRICTED_CACHE : PUBLIC_CACHE)
        .send(body);
    },
  );
};
