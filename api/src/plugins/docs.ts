import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** The OpenAPI document, built from the same zod schemas that validate requests, and its docs page. */
export const docsPlugin = fp(async (app: FastifyInstance, opts: { cookieName: string }) => {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Inkwell API',
        version: '1.0.0',
        description: 'Every response is `{ success, data?, error?: { code, message, details? }, pagination? }`.',
      },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: opts.cookieName } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });
});
