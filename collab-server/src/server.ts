// The collaboration server: Hocuspocus with our extensions, websockets on /collab, and /healthz,
// /readyz and /metrics on the same port. `createCollabServer` is what main.ts and the tests start.
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Extension, Hocuspocus } from '@hocuspocus/server';
import { Redis } from 'ioredis';
import { type WebSocket, WebSocketServer } from 'ws';
import { createDatabaseClient } from '@inkwell/db';
import { quitOrDrop, redisNames } from '@inkwell/workflows';
import { createAccessClient } from './access.ts';
import { acknowledgeWhenStored } from './acknowledgements.ts';
import { type ComicDocumentStore, createComicDocumentStore } from './comic-store.ts';
import { type HandOff, guard, headerPairs, refuseHandOff, requestBytes } from './handoff.ts';
import type { Config } from './config.ts';
import { createAccessChanges } from './extensions/access-changes.ts';
import { createBroadcast } from './extensions/broadcast.ts';
import { createCommentRelay } from './extensions/comment-relay.ts';
import { type ConnectionContext, createAuth } from './extensions/auth.ts';
import { createMetrics } from './extensions/metrics.ts';
import { type FirstSyncContext, createFirstSync, createSocketFirstSteps } from './extensions/first-sync.ts';
import { createPersistence } from './extensions/persistence.ts';
import { createPresence } from './extensions/presence.ts';
import { RedisSync } from './extensions/redis-sync.ts';
import { createUpdateGuard } from './extensions/update-guard.ts';
import { createGeneration, createProgressRelay } from './generation.ts';
import { type Logger, createLogger } from './logger.ts';
import { type BackfillResult, backfillMediaIds } from './media-backfill.ts';
import { createSummaries } from './summaries.ts';
import { createVersions } from './versions.ts';

const COLLAB_PATH = '/collab';

export interface CollabServerOverrides {
  store?: ComicDocumentStore;
  logger?: Logger;
  /** Further extensions, after Inkwell's own of the same priority (a test holds a document's load open with one). */
  extensions?: Extension[];
}

export interface CollabServer {
  hocuspocus: Hocuspocus<ConnectionContext>;
  /** Starts serving; resolves with the port (config.port, or the one picked for 0). */
  listen(): Promise<number>;
  /**
   * Takes a websocket connection the front server handed off (handoff.ts): its upgrade request is read and
   * answered as if this server had accepted the connection. Refused until the server listens.
   */
  adopt(socket: Socket, handOff: HandOff): void;
  /** Each dependency and whether it answers. */
  readiness(): Promise<Record<'postgres' | 'redis', 'ok' | 'unavailable'>>;
  /**
   * Lists the pictures of the comics whose list is unknown (media-backfill.ts), a few at a time; stops when the
   * server closes. main.ts starts it once the server listens.
   */
  backfillMediaIds(): Promise<BackfillResult>;
  /** Graceful and idempotent: stop intake, close connections, store what is pending, unload, disconnect. */
  close(): Promise<void>;
}

export function createCollabServer(config: Config, overrides: CollabServerOverrides = {}): CollabServer {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const database = createDatabaseClient(config.databaseUrl, { max: 5 });
  const connectRedis = () => new Redis(config.redisUrl, { maxRetriesPerRequest: 2 }).on('error', (error) => logger.warn('redis', { error: error.message }));
  const redis = connectRedis();
  const names = redisNames(config.redisPrefix);
  const metrics = createMetrics();
  const summaries = createSummaries();
  const persistence = createPersistence({
    store: overrides.store ?? createComicDocumentStore(database.db),
    summaries,
    metrics,
    logger,
    retryBaseMs: config.store.retryBaseMs,
    retryMaxMs: config.store.retryMaxMs,
    beforeApplyingStored: (documentName, context, state) => firstSync.answerEarly(documentName, context, state),
  });
  const firstSync = createFirstSync({ pristineState: persistence.pristineState });
  const versions = createVersions({ db: database.db, logger });
  const accessChanges = createAccessChanges({ subscriber: connectRedis(), channels: names, logger });
  const hocuspocus = new Hocuspocus<ConnectionContext>({
    debounce: config.store.debounceMs,
    maxDebounce: config.store.maxDebounceMs,
    // The last connection of a document to close stores it at once (when it changed) and unloads it.
    unloadImmediately: true,
    extensions: [
      createAuth({ access: createAccessClient(config.apiUrl), logger }),
      persistence.extension,
      firstSync.extension,
      createBroadcast(),
      new RedisSync({ createClient: connectRedis, prefix: names.collab }),
      accessChanges.extension,
      metrics.extension,
      createPresence(),
      createUpdateGuard({ maxDocumentBytes: config.limits.documentBytes, logger }),
      createCommentRelay({ createClient: connectRedis, channel: names.comments, logger }),
      versions.extension,
      createProgressRelay({ createClient: connectRedis, redisPrefix: config.redisPrefix, logger }),
      ...(overrides.extensions ?? []),
    ],
  });

  const generation = createGeneration({
    hocuspocus,
    whenStored: (name) => new Promise<void>((resolve) => persistence.whenStored(name, resolve)),
    versions,
    redisUrl: config.redisUrl,
    redisPrefix: config.redisPrefix,
    logger,
  });

  let listening = false;
  let stopping = false;
  const stopped = new AbortController();
  let backfill: Promise<unknown> = Promise.resolve();
  const clients = new Map<WebSocket, ReturnType<typeof hocuspocus.handleConnection>>();
  const sockets = new WebSocketServer({ noServer: true, maxPayload: config.limits.messageBytes });
  const http = createServer((request, response) => {
    serveHttp(request, response).catch((error: unknown) => {
      logger.error('request failed', { path: request.url, error: String(error) });
      if (!response.headersSent) json(response, 500, { status: 'error' });
    });
  });

  /** Why a websocket handshake is refused, as an HTTP status line; undefined when it may go on. */
  function refusalOf(request: IncomingMessage): string | undefined {
    if (stopping) return '503 Service Unavailable';
    if (pathOf(request) !== COLLAB_PATH) return '404 Not Found';
    // Browsers send Origin on every websocket handshake, cookie included: a page of another site must not
    // open a comic as its visitor. Clients that are not browsers (tokens, tests, the bench) send none.
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== config.publicOrigin) return '403 Forbidden';
    return undefined;
  }

  http.on('upgrade', (request, socket, head) => {
    const refusal = refusalOf(request);
    if (refusal) {
      guard(socket);
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      const firstSteps = createSocketFirstSteps((message) => new Promise((resolve) => ws.send(message, () => resolve())));
      // Every connection of this socket starts from this context; the auth extension adds the rest (Hocuspocus
      // types the starting context as the whole one).
      const context = { firstSteps } satisfies FirstSyncContext as unknown as ConnectionContext;
      const client = hocuspocus.handleConnection(acknowledgeWhenStored(ws, socket, persistence), handshakeOf(request), context);
      clients.set(ws, client);
      ws.on('message', (data: Buffer) => {
        const message = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        firstSteps.note(message);
        client.handleMessage(message);
      });
      ws.on('close', (code, reason) => {
        clients.delete(ws);
        client.handleClose({ code, reason: reason.toString() });
      });
      ws.on('error', (error) => logger.warn('websocket error', { error: error.message }));
    });
  });

  async function readiness() {
    const check = async (probe: () => Promise<unknown>) => {
      try {
        // Under a second, like the API's: during a Redis outage ioredis holds a command back for seconds.
        await withTimeout(probe(), 800);
        return 'ok' as const;
      } catch {
        return 'unavailable' as const;
      }
    };
    const [postgres, redisState] = await Promise.all([check(() => database.sql`select 1`), check(() => redis.ping())]);
    return { postgres, redis: redisState };
  }

  async function serveHttp(request: IncomingMessage, response: ServerResponse) {
    switch (pathOf(request)) {
      case '/healthz':
        return json(response, 200, { status: 'ok' });
      case '/readyz': {
        const checks = await readiness();
        const ready = !stopping && Object.values(checks).every((state) => state === 'ok');
        return json(response, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks });
      }
      case '/metrics':
        response.writeHead(200, { 'content-type': metrics.registry.contentType });
        return response.end(await metrics.registry.metrics());
      case COLLAB_PATH:
        return json(response, 426, { status: 'websocket only' });
      default:
        return json(response, 404, { status: 'not found' });
    }
  }

  async function shutdown() {
    // Stop intake: no new connections (the listening socket closes; upgrades are refused meanwhile).
    stopping = true;
    stopped.abort();
    const closed = new Promise((resolve) => http.close(resolve));
    // No new server-side edits; the ones under way finish while the documents are still here.
    await generation.close();
    // Close connections. The last one of a document stores it (when it changed) and unloads it. Clients
    // reconnect elsewhere or later and send what was not acknowledged again.
    for (const [ws, client] of clients) {
      client.handleClose({ code: 1012, reason: 'server restarting' });
      ws.close(1012, 'server restarting');
    }
    clients.clear();
    // Store what is still pending (failed stores are tried once more), and wait for the unloads.
    persistence.flush();
    const deadline = Date.now() + config.shutdownTimeoutMs;
    while (hocuspocus.getDocumentsCount() > 0 && Date.now() < deadline) await sleep(25);
    const unstored = persistence.unstored();
    if (unstored.length > 0) logger.error('shut down with changes not stored', { documents: unstored });
    await hocuspocus.hooks('onDestroy', { instance: hocuspocus });
    await backfill.catch(() => {});
    await summaries.close();
    await accessChanges.close();
    await quitOrDrop(redis);
    await database.close();
    http.closeAllConnections();
    await closed;
  }

  let closing: Promise<void> | undefined;

  return {
    hocuspocus,
    readiness,
    async listen() {
      await Promise.all([accessChanges.ready, generation.ready]);
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => resolve());
      });
      listening = true;
      return (http.address() as AddressInfo).port;
    },
    adopt(socket, handOff) {
      if (!listening) return refuseHandOff(socket);
      http.emit('connection', socket);
      // The HTTP parser now reads from the socket; the request the front server already read comes first.
      socket.emit('data', requestBytes(handOff));
    },
    backfillMediaIds() {
      const run = backfillMediaIds({ db: database.db, summaries, signal: stopped.signal });
      backfill = run;
      return run;
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}

function pathOf(request: IncomingMessage): string {
  return (request.url ?? '/').split('?')[0]!;
}

/**
 * The upgrade request as Hocuspocus reads it: its headers (the cookie) and path, which it reads again for every
 * message (hook payloads carry them). Plain properties, not a fetch Request, whose getters rebuild the URL at
 * each read.
 */
function handshakeOf(request: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of headerPairs(request)) headers.append(name, value);
  const handshake: Pick<Request, 'url' | 'headers'> = { url: request.url ?? '/', headers };
  return handshake as Request;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}
