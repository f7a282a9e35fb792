import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The headers helmet sets for `options`, worked out once by helmet itself on a throwaway server: they do not
 * depend on the request, and @fastify/helmet builds its middleware again on every request (a third of the
 * cost of a signed-in GET in the profile).
 */
export async function helmetHeaders(options: FastifyHelmetOptions): Promise<Record<string, string>> {
  const probe = Fastify({ logger: false });
  await probe.register(helmet, options);
  probe.get('/', async (_request, reply) => reply.getHeaders());
  try {
    return (await probe.inject({ method: 'GET', url: '/' })).json();
  } finally {
    await probe.close();
  }
}

/** Every response carries helmet's headers for `options`; a route may still set its own (the docs page's CSP). */
export const securityHeadersPlugin = fp(
  async (app: FastifyInstance, options: FastifyHelmetOptions) => {
    const headers = await helmetHeaders(options);
    app.addHook('onRequest', async (_request, reply) => {
      reply.headers(headers);
    });
  },
  { name: 'security-headers' },
);
