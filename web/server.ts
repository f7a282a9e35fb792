/**
 * The one-origin front server: `/api/*` goes to the API, `/collab` (HTTP and websocket) to the collab server,
 * everything else to the SvelteKit app built into web/build. In production nginx does the proxying and this
 * server only serves the app; run with Node 24: `node web/server.ts`.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, next?: () => void) => void;

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '0.0.0.0';
const apiTarget = process.env.API_INTERNAL_URL ?? 'http://127.0.0.1:4000';
const collabTarget = process.env.COLLAB_INTERNAL_URL ?? 'http://127.0.0.1:4100';
// The API's own limits (api/src/app.ts bodyLimit, the media route); answered here so the browser gets a 413, not a reset.
const mediaMaxMb = Number(process.env.MEDIA_MAX_MB ?? 20);
const bodyLimits = {
  json: { bytes: 64 * 1024, label: '64 KB' },
  upload: { bytes: mediaMaxMb * 1024 * 1024 + 64 * 1024, label: `${mediaMaxMb} MB` }, // + multipart framing
};
const shutdownMs = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 10_000);

// adapter-node takes the request's protocol from this header (it assumes https without one); see `forwarded`.
process.env.PROTOCOL_HEADER ??= 'x-forwarded-proto';

const handlerFile = new URL('./build/handler.js', import.meta.url);
const { handler } = (await import(handlerFile.href).catch((error: unknown) => {
  console.error(`Cannot load ${handlerFile.pathname}: build the web app first (npm run build).`);
  throw error;
})) as { handler: Handler };

// Reuse connections to the upstreams (without an agent http-proxy-3 sends `connection: close` every time).
const agent = new http.Agent({ keepAlive: true });
const proxy = createProxyServer({ ws: true });
/** Sets (never appends to) the forwarded headers: a client-sent X-Forwarded-For would defeat the API's per-address rate limit. */
function setForwarded(req: http.IncomingMessage) {
  req.headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  req.headers['x-forwarded-proto'] = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
  req.headers['x-forwarded-host'] = req.headers.host ?? '';
}

/** Dot-segments (raw or encoded), backslashes and encoded slashes could reach internal endpoints such as /metrics. */
const unsafePath = (url: string | undefined) => /(^|[/\\])\.\.?([/\\?]|$)|%2e|%2f|%5c|\\/i.test((url ?? '').split('?')[0] ?? '');
// Errors that reach no per-request callback (a browser dropping an open websocket: ECONNRESET) would
// otherwise be thrown by http-proxy-3 and stop the server.
proxy.on('error', (error, req, res) => {
  console.error(`proxy ${req.method} ${req.url} failed: ${error.message}`);
  if (res) unavailable(res, 'service');
});

const matches = (url: string | undefined, prefix: string) =>
  url === prefix || url?.startsWith(`${prefix}/`) || url?.startsWith(`${prefix}?`);

function unavailable(res: http.ServerResponse | Duplex, service: string) {
  if (!(res instanceof http.ServerResponse)) {
    res.destroy();
    return;
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(502, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      success: false,
      error: { code: 'upstream_unavailable', message: `The ${service} is not reachable right now. Please try again shortly.` },
    }),
  );
}

/** Tells the SvelteKit app the protocol, unless a proxy in front (nginx) already did. */
function forwarded(req: http.IncomingMessage) {
  req.headers['x-forwarded-proto'] ??= 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
}

/** The API limit a request's declared Content-Length exceeds, if any; chunked bodies are left to the API. */
function exceededLimit(req: http.IncomingMessage) {
  const limit = req.headers['content-type']?.startsWith('multipart/') ? bodyLimits.upload : bodyLimits.json;
  return Number(req.headers['content-length'] ?? 0) > limit.bytes ? limit : undefined;
}

const server = http.createServer((req, res) => {
  if (unsafePath(req.url)) {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ success: false, error: { code: 'bad_path', message: 'The path is not allowed.' } }));
  } else if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  } else if (matches(req.url, '/api')) {
    const limit = exceededLimit(req);
    if (limit) {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ success: false, error: { code: 'payload_too_large', message: `The request body is over the ${limit.label} limit.` } }));
      return;
    }
    setForwarded(req);
    proxy.web(req, res, { target: apiTarget, agent }, (error) => {
      console.error(`proxy ${req.method} ${req.url} to the API failed: ${error.message}`);
      unavailable(res, 'API');
    });
  } else if (matches(req.url, '/collab')) {
    setForwarded(req);
    proxy.web(req, res, { target: collabTarget, agent }, (error) => {
      console.error(`proxy ${req.method} ${req.url} to the collab server failed: ${error.message}`);
      unavailable(res, 'collaboration server');
    });
  } else {
    forwarded(req);
    handler(req, res);
  }
});

const sockets = new Set<Duplex>();
server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
  if (unsafePath(req.url) || !matches(req.url, '/collab')) {
    socket.destroy();
    return;
  }
  setForwarded(req);
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
  proxy.ws(req, socket, head, { target: collabTarget }, (error) => {
    console.error(`websocket proxy to the collab server failed: ${error.message}`);
    socket.destroy();
  });
});

server.listen(port, host, () => {
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
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  for (const socket of sockets) socket.end();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
