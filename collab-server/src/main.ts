// Starts the collab-server: validates configuration, checks Postgres and Redis, serves, and shuts down
// gracefully (once) on SIGTERM or SIGINT.
import { Socket } from 'node:net';
import { ConfigError, loadConfig } from './config.ts';
import { asHandOff } from './handoff.ts';
import { createLogger } from './logger.ts';
import { createCollabServer } from './server.ts';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const server = createCollabServer(config, { logger });
  // Websockets handed off by the front server (handoff.ts), when `npm start` runs both; from the start, so that
  // none arrives unheard (it is refused until the server listens).
  process.on('message', (message, handle) => {
    const received = asHandOff(message, handle);
    if (received) server.adopt(received.socket, received.handOff);
    else if (handle instanceof Socket) handle.destroy();
  });
  const checks = await server.readiness();
  const missing = Object.entries(checks).filter(([, state]) => state !== 'ok');
  if (missing.length > 0) {
    await server.close();
    const how = { postgres: `Postgres at ${hostOf(config.databaseUrl)} (DATABASE_URL)`, redis: `Redis at ${hostOf(config.redisUrl)} (REDIS_URL)` };
    throw new Error(`collab-server cannot start: ${missing.map(([name]) => how[name as keyof typeof how]).join(' and ')} did not answer`);
  }
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info(`${signal}: shutting down`);
      setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5000).unref();
      void server.close().then(() => process.exit(0));
    });
  }
  const port = await server.listen();
  logger.info('listening', { url: `http://${config.host}:${port}`, websocket: `ws://${config.host}:${port}/collab` });
  const started = Date.now();
  void server.backfillMediaIds().then(
    (result) => {
      if (result.listed + result.unreadable > 0) logger.info('listed the pictures of older comics', { ...result, ms: Date.now() - started });
    },
    (error: unknown) => logger.warn('could not list the pictures of older comics', { error: String(error) }),
  );
}

/** host:port of a service URL, without its credentials. */
function hostOf(url: string): string {
  return new URL(url).host;
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exit(1);
});
