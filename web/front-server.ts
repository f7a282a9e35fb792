/**
 * The one-origin front server: `/api/*` goes to the API, `/collab` (HTTP and websocket) to the collab server,
 * everything else to `app` (the SvelteKit handler). web/server.ts starts it with the built app; tests start
 * it in front of a real API.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, next?: () => void) => void;

export interface FrontServerOptions {
  app: Handler;
  apiTarget: string;
  collabTarget: string;
  /** The API's upload limit (MEDIA_MAX_MB), answered here so that the browser gets a 413, not a reset. */
  mediaMaxMb: number;
  /**
   * Gives a /collab websocket connection to the collab-server process itself (collab-server/src/handoff.ts)
   * instead of relaying its messages; without it, the connection is proxied to `collabTarget`.
   */
  handOffCollab?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;
  log?: (message: string) => void;
}

export interface FrontServer {
  server: http.Server;
  /** Stops accepting, lets requests under way finish, ends open websockets; resolves when all are closed. */
  close(): Promise<void>;
}

/** The API's own JSON limit (api/src/app.ts bodyLimit). */
const JSON_LIMIT = { bytes: 64 * 1024, label: '64 KB' };
/** Multipart framing around an upload of exactly the limit. */
const MULTIPART_OVERHEAD = 64 * 1024;

/** Dot-segments (raw or encoded), backslashes and encoded slashes could reach internal endpoints such as /metrics. */
const unsafePath = (url: string | undefined) => /(^|[/\\])\.\.?([/\\?]|$)|%2e|%2f|%5c|\\/i.test((url ?? '').split('?')[0] ?? '');

const matches = (url: string | undefined, prefix: string) => url === prefix || url?.startsWith(`${prefix}/`) || url?.startsWith(`${prefix}?`);

function sendJson(res: http.ServerResponse, status: number, code: string, message: string, headers: http.OutgoingHttpHeaders = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ success: false, error: { code, message } }));
}

/** Sets (never appends to) the forwarded headers: a client-sent X-Forwarded-For would defeat the API's per-address rate limit. */
function setForwarded(req: http.IncomingMessage) {
  req.headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  req.headers['x-forwarded-proto'] = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
  req.headers['x-forwarded-host'] = req.headers.host ?? '';
}

export function createFrontServer(options: FrontServerOptions): FrontServer {
  const log = options.log ?? console.error;
  const uploadLimit = { bytes: options.mediaMaxMb * 1024 * 1024 + MULTIPART_OVERHEAD, label: `${options.mediaMaxMb} MB` };
  const limitOf = (req: http.IncomingMessage) => (req.headers['content-type']?.startsWith('multipart/') ? uploadLimit : JSON_LIMIT);

  // Reuse connections to the upstreams (without an agent http-proxy-3 sends `connection: close` every time).
  const agent = new http.Agent({ keepAlive: true });
  const proxy = createProxyServer({ ws: true });
  // Errors that reach no per-request callback (a browser dropping an open websocket: ECONNRESET) would
  // otherwise be thrown by http-proxy-3 and stop the server.
  proxy.on('error', (error: NodeJS.ErrnoException, req, res) => {
    // A websocket whose browser went away (tab closed, network lost) is no failure worth a line.
    const gone = !(res instanceof http.ServerResponse) && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
    if (!gone) log(`proxy ${req.method} ${req.url} failed: ${error.message}`);
    if (res) unavailable(res, 'service');
  });

  function unavailable(res: http.ServerResponse | Duplex, service: string) {
    if (!(res instanceof http.ServerResponse) || res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, 502, 'upstream_unavailable', `The ${service} is not reachable right now. Please try again shortly.`);
  }

  function tooLarge(res: http.ServerResponse, limit: { label: string }) {
    sendJson(res, 413, 'payload_too_large', `The request body is over the ${limit.label} limit.`, { connection: 'close' });
  }

  const server = http.createServer((req, res) => {
    if (unsafePath(req.url)) {
      sendJson(res, 400, 'bad_path', 'The path is not allowed.');
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    } else if (matches(req.url, '/api')) {
      // A declared length over the limit is refused before a byte is sent on; a streamed (chunked) body is the API's to cut off.
      const limit = limitOf(req);
      if (Number(req.headers['content-length'] ?? 0) > limit.bytes) return tooLarge(res, limit);
      setForwarded(req);
      proxy.web(req, res, { target: options.apiTarget, agent }, (error) => {
        log(`proxy ${req.method} ${req.url} to the API failed: ${error.message}`);
        unavailable(res, 'API');
      });
    } else if (matches(req.url, '/collab')) {
      setForwarded(req);
      proxy.web(req, res, { target: options.collabTarget, agent }, (error) => {
        log(`proxy ${req.method} ${req.url} to the collab server failed: ${error.message}`);
        unavailable(res, 'collaboration server');
      });
    } else {
      // Tells the SvelteKit app the protocol, unless a proxy in front (nginx) already did.
      req.headers['x-forwarded-proto'] ??= 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
      options.app(req, res);
    }
  });

  // nginx (deploy/) keeps its idle connections to this server for 60 s and may send a request on one just as the
  // server closes it: with Node's 5 s default that request is lost (a POST is not retried, the visitor gets a
  // 502). The side in front must be the one that closes idle connections; Node wants the headers' timeout above.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  const sockets = new Set<Duplex>();
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (unsafePath(req.url) || !matches(req.url, '/collab')) {
      socket.destroy();
      return;
    }
    setForwarded(req);
    if (options.handOffCollab) return options.handOffCollab(req, socket, head);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    proxy.ws(req, socket, head, { target: options.collabTarget }, (error) => {
      log(`websocket proxy to the collab server failed: ${error.message}`);
      socket.destroy();
    });
  });

  return {
    server,
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const socket of sockets) socket.end();
      agent.destroy();
      return closed;
    },
  };
}
