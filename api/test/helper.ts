import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { eq } from 'drizzle-orm';
import { type RoleName, createDatabaseClient, dropDatabase, migrateDatabase, schema } from '@inkwell/db';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { type AppOverrides, buildApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import type { Mail, Mailer } from '../src/services/mail.ts';

/** The tests' key for sensitive fields at rest. */
export const TEST_DATA_KEYS = { current: { id: 'test', key: Buffer.alloc(32, 7) }, old: [] };

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent' }),
    // Each app gets its own Redis keys, so rate-limit counters never leak between tests.
    redisPrefix: `inkwell-test:${randomBytes(6).toString('hex')}:`,
    dataKeys: TEST_DATA_KEYS,
    ...overrides,
  };
}

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  db: ReturnType<typeof createDatabaseClient>['db'];
  close(): Promise<void>;
}

export async function createTestApp(
  overrides: Partial<Config> = {},
  appOverrides: Omit<AppOverrides, 'database'> = {},
): Promise<TestApp> {
  const config = testConfig(overrides);
  const database = createDatabaseClient(config.databaseUrl, { max: 4 });
  // No housekeeping unless asked: test apps share one database, each with its own Redis prefix, and one app's
  // orphaned-jobs sweep would settle the jobs of another's queue.
  const app = await buildApp(config, { housekeeping: false, ...appOverrides, database });
  await app.ready();
  return {
    app,
    config,
    db: database.db,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

/**
 * A test app on a database of its own, migrated like the shared one and dropped on close, for a test that
 * fingerprints every table after each request. The shared database holds whatever the files before it left
 * (thousands of comics after the gallery's), which made those checks slow and their time depend on the order
 * of the files: the API fuzz went from under to over its ten minutes.
 */
export async function createTestAppWithOwnDatabase(overrides: Partial<Config> = {}, appOverrides: Omit<AppOverrides, 'database'> = {}): Promise<TestApp> {
  const url = new URL(testConfig().databaseUrl);
  url.pathname = `${url.pathname}_${randomBytes(4).toString('hex')}`;
  const databaseUrl = url.toString();
  await migrateDatabase(databaseUrl);
  const t = await createTestApp({ ...overrides, databaseUrl }, appOverrides);
  return {
    ...t,
    async close() {
      await t.close();
      await dropDatabase(databaseUrl);
    },
  };
}

/** What `listenTo` heard on a Redis channel, in order. */
export interface Listener<T> {
  heard: T[];
  close(): Promise<void>;
}

/** Every message published on the Redis `channel` from now on, parsed, in order, until `close`. */
export async function listenTo<T = unknown>(channel: string): Promise<Listener<T>> {
  const subscriber = new Redis(process.env.REDIS_URL!);
  const heard: T[] = [];
  await subscriber.subscribe(channel);
  subscriber.on('message', (_channel, message) => heard.push(JSON.parse(message) as T));
  return { heard, close: async () => void (await subscriber.quit()) };
}

export function uniqueName(prefix = 'u'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/**
 * A random private address, so that helpers which sign people up or in never share the per-address limit
 * of the sign-in routes (10 a minute) with each other or with the requests a test is about.
 */
export function randomIp(): string {
  const [a, b, c] = randomBytes(3);
  return `10.${a}.${b}.${Math.max(1, c! % 255)}`;
}

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  cookie: string;
}

/** The `name=value` of the session cookie a response set, ready to send back. */
export function sessionCookieOf(response: LightMyRequestResponse, name = 'inkwell_session'): string {
  const cookie = response.cookies.find((c) => c.name === name);
  if (!cookie) throw new Error(`no session cookie in response ${response.statusCode}: ${response.body}`);
  return `${cookie.name}=${cookie.value}`;
}

export async function registerUser(app: FastifyInstance, role?: RoleName, db?: TestApp['db']): Promise<TestUser> {
  const username = uniqueName();
  const user = { username, email: `${username}@example.com`, password: 'correct horse battery staple' };
  const response = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: user, remoteAddress: randomIp() });
  if (response.statusCode !== 201) throw new Error(`register failed: ${response.body}`);
  const id = response.json().data.id as string;
  if (role && role !== 'user') {
    if (!db) throw new Error('a role other than user needs the database');
    await setRole(db, id, role);
    // A fresh session: the first one may be cached with the old role.
    return { id, ...user, cookie: await login(app, username, user.password) };
  }
  return { id, ...user, cookie: sessionCookieOf(response) };
}

export async function login(app: FastifyInstance, loginName: string, password: string): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: loginName, password },
    remoteAddress: randomIp(),
  });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.body}`);
  return sessionCookieOf(response);
}

/** Changes a role behind the API's back: sessions validated before the change may still carry the old role. */
export async function setRole(db: TestApp['db'], userId: string, role: RoleName): Promise<void> {
  const [row] = await db.select({ id: schema.roles.id }).from(schema.roles).where(eq(schema.roles.name, role));
  await db.update(schema.users).set({ roleId: row!.id }).where(eq(schema.users.id, userId));
}

export async function auditActions(db: TestApp['db'], userId: string): Promise<string[]> {
  const rows = await db
    .select({ action: schema.auditLogs.action })
    .from(schema.auditLogs)
    .where(eq(schema.auditLogs.userId, userId))
    .orderBy(schema.auditLogs.createdAt);
  return rows.map((r) => r.action);
}

/** The session id part of a `name=<id>.<secret>` cookie. */
export function sessionIdOf(cookie: string): string {
  return cookie.slice(cookie.indexOf('=') + 1).split('.')[0]!;
}

export async function sessionIds(db: TestApp['db'], userId: string): Promise<string[]> {
  const rows = await db.select({ id: schema.userSessions.id }).from(schema.userSessions).where(eq(schema.userSessions.userId, userId));
  return rows.map((r) => r.id).sort();
}

export function me(app: FastifyInstance, cookie?: string) {
  return app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: cookie ? { cookie } : {} });
}

/** A mailer that keeps what it would send, for reading the links in it. */
export function captureMailer(): Mailer & { mails: Mail[]; to(recipient: string): Mail[] } {
  const mails: Mail[] = [];
  return {
    mails,
    async send(mail) {
      mails.push(mail);
    },
    to: (recipient) => mails.filter((m) => m.to.toLowerCase() === recipient.toLowerCase()),
  };
}

/** The token in a mailed link (`...?token=<id>.<secret>`). */
export function tokenIn(text: string): string {
  const match = /[?&]token=([A-Za-z0-9]+\.[A-Za-z0-9]+)/.exec(text);
  if (!match) throw new Error(`no token link in: ${text}`);
  return match[1]!;
}

/**
 * Asserts the standard error shape `{ success: false, error: { code, message, details? } }`, and that the
 * body tells nothing about the server's insides (no stack trace, no SQL, no file paths).
 */
export function expectError(response: LightMyRequestResponse, status: number, code?: string): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json();
  expect(body.success).toBe(false);
  expect(body).not.toHaveProperty('data');
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  if (code) expect(body.error.code).toBe(code);
  expect(Object.keys(body.error).every((k) => ['code', 'message', 'details', 'requestId'].includes(k))).toBe(true);
  expect(leakedInternals(response.body)).toBeUndefined();
}

/** What gives away the server's insides: a stack trace, SQL or the database, a file path, an error class. */
const INTERNALS = [
  /\bat .+\(.*:\d+:\d+\)|node_modules|\.ts:\d+|\bstack\b/,
  /\b(select|insert into|update|delete from)\b.*\b(from|set|where|values)\b|postgres|drizzle|constraint/i,
  /\b[A-Z]\w*Error\b|\/(?:work|home|usr|opt|tmp|src)\//,
];

/** The first sign of the server's insides in a response body, if any. */
export function leakedInternals(body: string): RegExp | undefined {
  return INTERNALS.find((pattern) => pattern.test(body));
}

/** What is wrong with an error answer (not JSON, not the standard shape, telling of the insides), if anything. */
export function errorAnswerProblem(response: LightMyRequestResponse): string | undefined {
  if (response.statusCode >= 500) return `answered ${response.statusCode}`;
  if (response.statusCode < 400) return undefined;
  if (!response.headers['content-type']?.toString().startsWith('application/json')) return 'error is not JSON';
  const body = response.json() as { success?: unknown; data?: unknown; error?: { code?: unknown; message?: unknown } };
  const error = body.error;
  if (body.success !== false || 'data' in body || typeof error?.code !== 'string' || typeof error.message !== 'string' || !error.message) {
    return 'error is not in the standard shape';
  }
  const leak = leakedInternals(response.body);
  return leak && `error tells of the server's insides (${leak})`;
}

/** A multipart/form-data body with one file field, as a browser's FormData sends it. */
export function multipartFile(bytes: Buffer, filename: string, contentType = 'application/octet-stream', field = 'file') {
  const boundary = `----inkwell${randomBytes(8).toString('hex')}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
