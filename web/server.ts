/**
 * Starts the one-origin front server (front-server.ts) with the SvelteKit app built into web/build. In
 * production nginx does the proxying and this server only serves the app; run with Node 24: `node web/server.ts`.
 */
import { handOffToParent } from '@inkwell/collab-server/handoff';
import { createFrontServer, type Handler } from './front-server.ts';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '0.0.0.0';
const apiTarget = process.env.API_INTERNAL_URL ?? 'http://127.0.0.1:4000';
const collabTarget = process.env.COLLAB_INTERNAL_URL ?? 'http://127.0.0.1:4100';
const shutdownMs = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 10_000);

// adapter-node takes the request's protocol from this header (it assumes https without one).
process.env.PROTOCOL_HEADER ??= 'x-forwarded-proto';

const handlerFile = new URL('./build/handler.js', import.meta.url);
const { handler } = (await import(handlerFile.href).catch((error: unknown) => {
  console.error(`Cannot load ${handlerFile.pathname}: build the web app first (npm run build).`);
  throw error;
})) as { handler: Handler };

const front = createFrontServer({
  app: handler,
  apiTarget,
  collabTarget,
  mediaMaxMb: Number(process.env.MEDIA_MAX_MB ?? 20),
  // Started by scripts/run-all.ts beside the collab-server: websockets go to it over IPC, not through a relay.
  handOffCollab: handOffToParent(),
});
front.server.listen(port, host, () => {
  console.log(`Inkwell web listening on http://${host}:${port} (API ${apiTarget}, collab ${collabTarget})`);
});

let stopping = false;
function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: closing the web server`);
  setTimeout(() => {
    console.error(`connections still open after ${shutdownMs} ms; exiting`);
    process.exit(1);
  }, shutdownMs).unref();
  void front.close().then(() => process.exit(0));
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
