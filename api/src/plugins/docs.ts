import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { roleByName } from '@inkwell/db';

const GUEST_PERMISSIONS: ReadonlySet<string> = new Set(roleByName('guest').permissions);

/**
 * Each operation also says what its route declares: the permission it needs (`x-permission`), the least role
 * on the comic it names (`x-comic-role`), and whether a session is required or optional (`security`).
 */
const withAccess: SwaggerTransform = (input) => {
  const { schema, url } = jsonSchemaTransform(input);
  const { permission, comicRole } = input.route.config ?? {};
  if (!permission) return { schema, url };
  const session: Record<string, string[]> = { session: [] };
  const optional = permission === 'public' || GUEST_PERMISSIONS.has(permission);
  return {
    url,
    schema: {
      ...schema,
      'x-permission': permission,
      ...(comicRole && { 'x-comic-role': comicRole }),
      security: optional ? [{}, session] : [session],
    },
  };
};

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
    transform: withAccess,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });
});
