import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { exportQuery, uuidParams } from '../contract.ts';
import type { ExportService } from '../services/exports.ts';

export const exportRoutes: FastifyPluginAsyncZod<{ exports: ExportService }> = async (app, { exports }) => {
  app.get(
    '/:id/export',
    {
      config: { permission: 'comics:read', comicRole: 'viewer' },
      schema: {
        tags: ['comics'],
        summary: 'Download a comic as PDF (lettering as text), CBZ (with ComicInfo.xml) or one PNG page: members get the canvas as it is now',
        params: uuidParams,
        querystring: exportQuery,
      },
    },
    async (request, reply) => {
      const file = await exports.export(request.auth, request.params.id, request.query.format, request.query.page);
      // PDF and CBZ stream page by page as they are drawn, so only a PNG knows its length up front.
      if (Buffer.isBuffer(file.body)) reply.header('content-length', file.body.length);
      return reply
        .type(file.contentType)
        .header('cache-control', 'private, no-store')
        .header('content-disposition', `attachment; filename="${file.filename}"`)
        .send(file.body);
    },
  );
};
