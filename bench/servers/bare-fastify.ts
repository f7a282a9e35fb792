// The baseline: a bare Fastify route answering the same envelope as the API, nothing else.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/bare', async () => ({ success: true, data: { ok: true } }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 4601) });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
