// Integration test support: the real API (for sign-up, comics, members and the access check), real
// collab-servers on port 0, and real Hocuspocus providers over `ws`.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { MessageType } from '@hocuspocus/server';
import { InstancePresenceRecordType, type TLInstancePresence, type TLPageId, type TLRecord, createUserId } from '@tldraw/tlschema';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import * as decoding from 'lib0/decoding';
import { afterAll, beforeAll } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { createDatabaseClient, schema } from '@inkwell/db';
import { buildApp } from '../../api/src/app.ts';
import { loadConfig as loadApiConfig } from '../../api/src/config.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { documentNameOf } from '../src/documents.ts';
import { caption } from '../src/model/fixtures.ts';
import { recordsOf } from '../src/model/index.ts';
import { type CollabServer, type CollabServerOverrides, createCollabServer } from '../src/server.ts';

/** For reading what was stored; close it after the file's tests. */
export const database = createDatabaseClient(process.env.DATABASE_URL!, { max: 2 });

/** Each file gets its own Redis keys and channels, so files running side by side never hear each other. */
export function uniquePrefix(): string {
  return `inkwell-test:${randomBytes(6).toString('hex')}:`;
}

export interface Api {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startApi(redisPrefix: string): Promise<Api> {
  const env = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', RATE_LIMIT_DISABLED: 'true', STORAGE_DIR: join(tmpdir(), 'inkwell-collab-tests') };
  // No housekeeping: its orphaned-jobs sweep would settle other test files' jobs in the shared database (their
  // queues are under other Redis prefixes) and send their comics' edits to this stack's collab-server.
  const app = await buildApp({ ...loadApiConfig(env), redisPrefix }, { housekeeping: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}

export interface User {
  id: string;
  username: string;
  cookie: string;
}

export async function call(api: Api, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, cookie?: string, payload?: object) {
  const response = await api.app.inject({ method, url, headers: cookie ? { cookie } : {}, ...(payload && { payload }) });
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
  return response;
}

export const PASSWORD = 'correct horse battery staple';

const cookieOf = (response: Awaited<ReturnType<typeof call>>) => {
  const session = response.cookies.find((c) => c.name === 'inkwell_session')!;
  return `${session.name}=${session.value}`;
};

export async function signUp(api: Api): Promise<User> {
  const username = `u${randomBytes(5).toString('hex')}`;
  const payload = { username, email: `${username}@example.com`, password: PASSWORD };
  const response = await call(api, 'POST', '/api/v1/auth/register', undefined, payload);
  return { id: response.json().data.id, username, cookie: cookieOf(response) };
}

/** The same user signed in again (another device): a session of its own. */
export async function signIn(api: Api, user: User): Promise<User> {
  const response = await call(api, 'POST', '/api/v1/auth/login', undefined, { login: user.username, password: PASSWORD });
  return { ...user, cookie: cookieOf(response) };
}

export async function createComic(api: Api, owner: User): Promise<string> {
  const response = await call(api, 'POST', '/api/v1/comics', owner.cookie, { title: 'A test comic' });
  return response.json().data.id;
}

export async function addMember(api: Api, owner: User, comicId: string, member: User, role: 'editor' | 'viewer'): Promise<void> {
  await call(api, 'POST', `/api/v1/comics/${comicId}/members`, owner.cookie, { username: member.username, role });
}

export async function changeRole(api: Api, owner: User, comicId: string, member: User, role: 'editor' | 'viewer'): Promise<void> {
  await call(api, 'PATCH', `/api/v1/comics/${comicId}/members/${member.id}`, owner.cookie, { role });
}

export async function removeMember(api: Api, owner: User, comicId: string, member: User): Promise<void> {
  await call(api, 'DELETE', `/api/v1/comics/${comicId}/members/${member.id}`, owner.cookie);
}

export async function deleteComic(api: Api, owner: User, comicId: string): Promise<void> {
  await call(api, 'DELETE', `/api/v1/comics/${comicId}`, owner.cookie);
}

export async function collabToken(api: Api, user: User, comicId: string): Promise<string> {
  const response = await call(api, 'POST', `/api/v1/comics/${comicId}/collab-token`, user.cookie);
  return response.json().data.token;
}

/** Small store timings so that tests do not wait for production's debounce. */
export function collabConfig(api: Api, redisPrefix: string, overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ ...process.env, LOG_LEVEL: 'silent' }),
    port: 0,
    apiUrl: api.url,
    redisPrefix,
    store: { debounceMs: 50, maxDebounceMs: 250, retryBaseMs: 50, retryMaxMs: 200 },
    shutdownTimeoutMs: 5000,
    ...overrides,
  };
}

export interface Collab {
  server: CollabServer;
  port: number;
  url: string;
}

export async function startCollab(config: Config, overrides: CollabServerOverrides = {}): Promise<Collab> {
  const server = createCollabServer(config, overrides);
  const port = await server.listen();
  return { server, port, url: `ws://127.0.0.1:${port}/collab` };
}

export interface SlowApi {
  /** Where the collab-server should ask (`apiUrl`). */
  url: string;
  /** Resolves once the real API has answered an access check (the answer is then held back). */
  answered: Promise<void>;
  /** Lets the held answers go to the collab-server. */
  release(): void;
  close(): void;
}

/** A stand-in for the API that holds back its answers to access checks: for changes made while one is in flight. */
export async function startSlowApi(api: Api): Promise<SlowApi> {
  let answered!: () => void;
  const hasAnswered = new Promise<void>((resolve) => (answered = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = createServer((request, response) => {
    void (async () => {
      const answer = await fetch(`${api.url}${request.url}`, { headers: { cookie: request.headers.cookie ?? '' } });
      const body = await answer.text();
      answered();
      await released;
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(body);
    })();
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, answered: hasAnswered, release, close: () => server.close() };
}

export interface Client {
  provider: HocuspocusProvider;
  socket: HocuspocusProviderWebsocket;
  doc: Y.Doc;
  records: Y.Map<TLRecord>;
  /** Why the server refused or closed this client's document, once it did. */
  refused: string | undefined;
  closedBecause: string | undefined;
  stateless: string[];
  close(): void;
}

/**
 * A browser tab: a provider on its own websocket, sending the session cookie or a collab token, and the
 * page's `Origin` when given (browsers always send one; other clients none); into `doc` when given.
 */
export function connect(url: string, comicId: string, auth: { cookie?: string; token?: string; documentName?: string; origin?: string; doc?: Y.Doc }): Client {
  const { cookie, origin } = auth;
  const WebSocketWithCookie = class extends WebSocket {
    constructor(address: string) {
      super(address, { ...(cookie && { headers: { cookie } }), ...(origin && { origin }) });
    }
  };
  const socket = new HocuspocusProviderWebsocket({
    url,
    WebSocketPolyfill: WebSocketWithCookie,
    delay: 50,
    minDelay: 50,
    maxDelay: 250,
    factor: 1.5,
    jitter: false,
  });
  const doc = auth.doc ?? new Y.Doc();
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: auth.documentName ?? documentNameOf(comicId), document: doc, token: auth.token ?? null });
  const client: Client = {
    provider,
    socket,
    doc,
    records: recordsOf(doc),
    refused: undefined,
    closedBecause: undefined,
    stateless: [],
    close() {
      provider.destroy();
      socket.destroy();
    },
  };
  provider.on('authenticationFailed', ({ reason }: { reason: string }) => (client.refused = reason));
  provider.on('close', ({ event }: { event: { reason: string } }) => (client.closedBecause = event.reason));
  provider.on('stateless', ({ payload }: { payload: string }) => client.stateless.push(payload));
  provider.attach();
  return client;
}

/** y-protocols' sync messages: the first step (a state vector), the second (what the other side lacks), an update. */
const SYNC_MESSAGES = { 'first step': 0, 'second step': 1, update: 2 } as const;

/** How many sync messages of one kind the server has sent `client` from now on. */
export function countSyncMessages(client: Client, kind: keyof typeof SYNC_MESSAGES): { count: number } {
  const received = { count: 0 };
  client.provider.on('message', ({ event }: { event: MessageEvent }) => {
    const decoder = decoding.createDecoder(new Uint8Array(event.data as ArrayBuffer));
    decoding.readVarString(decoder);
    if (decoding.readVarUint(decoder) === MessageType.Sync && decoding.readVarUint(decoder) === SYNC_MESSAGES[kind]) received.count++;
  });
  return received;
}

/** How a bare websocket handshake to `url` ends: its HTTP status (101 when accepted), or 'closed' when the connection closes unanswered. */
export async function handshake(url: string, headers: Record<string, string>): Promise<number | 'closed'> {
  const socket = new WebSocket(url, { headers });
  const ended = await new Promise<number | 'closed'>((resolve) => {
    socket.once('upgrade', (response) => resolve(response.statusCode!));
    socket.once('unexpected-response', (_, response) => resolve(response.statusCode!));
    socket.once('error', () => resolve('closed'));
  });
  socket.terminate();
  return ended;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const synced = (client: Client) => waitFor(() => client.provider.isSynced, 'the client to sync');

/** Every change the client made is acknowledged, which the server only does once it is stored. */
export const acknowledged = (client: Client) =>
  waitFor(() => client.provider.isSynced && !client.provider.hasUnsyncedChanges, 'the client’s changes to be acknowledged');

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The records of the comic's document as stored in Postgres (empty when nothing is stored). */
export async function storedRecords(comicId: string): Promise<Map<string, unknown>> {
  const [row] = await database.db.select({ state: schema.comicDocuments.state }).from(schema.comicDocuments).where(eq(schema.comicDocuments.comicId, comicId));
  const doc = new Y.Doc();
  if (row) Y.applyUpdate(doc, new Uint8Array(row.state));
  return new Map(recordsOf(doc).entries());
}

/** A valid tldraw presence (a person's cursor) as a canvas sends it. */
export function presence(userId: string, userName: string, color: string, cursor = { x: 10, y: 20 }): TLInstancePresence {
  return InstancePresenceRecordType.create({
    id: InstancePresenceRecordType.createId('any'),
    currentPageId: 'page:page' as TLPageId,
    userId: createUserId(userId),
    userName,
    color,
    cursor: { ...cursor, type: 'default', rotation: 0 },
  });
}

/** A valid record (a caption, `shape:<id>`), as the server accepts only those. */
export function note(id: string, text: string): TLRecord {
  return caption(id, 'page:page', 'a1', text);
}

export interface StackOptions {
  /** Start one collab-server for the file, as `stack.collab` (default: true). */
  collab?: boolean;
}

/**
 * What most files run against: the API on its own Redis prefix, usually a collab-server on that prefix,
 * and the shared database, all closed together. Servers from `startCollab` are closed with the stack.
 */
export class Stack {
  api!: Api;
  prefix!: string;
  #collab: Collab | undefined;
  readonly #servers: Collab[] = [];
  readonly #options: StackOptions;

  constructor(options: StackOptions = {}) {
    this.#options = options;
  }

  get collab(): Collab {
    if (!this.#collab) throw new Error('this stack has no collab-server of its own (started with collab: false)');
    return this.#collab;
  }

  async start(): Promise<void> {
    this.prefix = uniquePrefix();
    this.api = await startApi(this.prefix);
    if (this.#options.collab !== false) this.#collab = await this.startCollab();
  }

  /** The test config for a collab-server on this stack's API and prefix. */
  config(overrides: Partial<Config> = {}): Config {
    return collabConfig(this.api, this.prefix, overrides);
  }

  /** A collab-server that the stack closes on `close()`. */
  async startCollab(overrides: Partial<Config> = {}, serverOverrides: CollabServerOverrides = {}): Promise<Collab> {
    const collab = await startCollab(this.config(overrides), serverOverrides);
    this.#servers.push(collab);
    return collab;
  }

  /**
   * Two collab-servers, as when the service is scaled out. Their stores come late, so an edit seen on the
   * other one in the meantime can only have travelled through Redis, not through Postgres.
   */
  async startPair(): Promise<[Collab, Collab]> {
    const config = { store: { debounceMs: 2000, maxDebounceMs: 4000, retryBaseMs: 50, retryMaxMs: 200 } };
    return [await this.startCollab(config), await this.startCollab(config)];
  }

  signUp(): Promise<User> {
    return signUp(this.api);
  }

  newComic(owner: User): Promise<string> {
    return createComic(this.api, owner);
  }

  async close(): Promise<void> {
    for (const collab of this.#servers) await collab.server.close();
    await this.api?.close();
    await database.close();
  }
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const stack = new Stack(options);
  await stack.start();
  return stack;
}

/** A stack for the whole file: started in `beforeAll`, closed in `afterAll`. */
export function useStack(options: StackOptions = {}): Stack {
  const stack = new Stack(options);
  beforeAll(() => stack.start());
  afterAll(() => stack.close());
  return stack;
}
