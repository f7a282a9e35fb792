import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { PAGE_SCRIPT_FORMAT, ok, pageScriptBatch, pageScriptBody, pageScriptParams } from '../contract.ts';
import { requireAuth } from '../plugins/auth.ts';
import type { PageScriptService } from '../services/page-scripts.ts';

export const pageScriptRoutes: FastifyPluginAsyncZod<{ pageScripts: PageScriptService }> = async (app, { pageScripts }) => {
  app.post(
    '/:id/pages/:pageId/script',
    {
      config: { permission: 'jobs:create', comicRole: 'editor' },
      schema: {
        tags: ['generation'],
        summary: 'Draw a page of panels from a script: one job per panel, as one batch, and its lines as bubbles (editors)',
        description: `Blocks go to the page's panels in reading order; a malformed script is refused with each mistake's line (\`details[].line\`) and nothing is queued.\n\n${PAGE_SCRIPT_FORMAT}`,
        params: pageScriptParams,
        body: pageScriptBody,
        response: { 202: ok(pageScriptBatch) },
      },
    },
    async (request, reply) => {
      const { id, pageId } = request.params;
      return reply.status(202).send({ success: true as const, data: await pageScripts.draw(requireAuth(request), id, pageId, request.body) });
    },
  );
};
