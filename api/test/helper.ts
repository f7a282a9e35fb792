import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { eq } from 'drizzle-orm';
import { type RoleName, createDatabaseClient, schema } from '@inkwell/db';
import { buildApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent' }),
    // Each app gets its own Redis keys, so rate-limit counters never leak between tests.
    redisPrefix: `inkwell-test:${randomBytes(6).toString('hex')}:`,
    ...overrides,
  };
}

export interface TestApp {
  app: FastifyInstance;
  db: ReturnType<typeof createDatabaseClient>['db'];
  close(): Promise<void>;
}

export async function createTestApp(overrides: Partial<Config> = {}): Promise<TestApp> {
  const config = testConfig(overrides);
  const database = createDatabaseClient(config.databaseUrl, { max: 4 });
  const app = await buildApp(config, { database });
  await app.ready();
  return {
    app,
    db: database.db,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

export function uniqueName(prefix = 'u'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  cookie: string;
}

/** The `name=value` of the session cookie a response set, ready to send back. */
export function sessionCookieOf(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === 'inkwell_session');
  if (!cookie) throw new Error(`no session cookie in response ${response.statusCode}: ${response.body}`);
  return `${cookie.name}=${cookie.value}`;
}

export async function registerUser(app: FastifyInstance, role?: RoleName, db?: TestApp['db']): Promise<TestUser> {
  const username = uniqueName();
  const user = { username, email: `${username}@example.com`, password: 'correct horse battery staple' };
  const response = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: user });
  if (response.statusCode !== 201) throw new Error(`register failed: ${response.body}`);
  const id = response.json().data.id as string;
  if (role && role !== 'user') {
    if (!db) throw new Error('a role other than user needs the database');
    await setRole(db, id, role);
  }
  return { id, ...user, cookie: sessionCookieOf(response) };
}

export async function login(app: FastifyInstance, loginName: string, password: string): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: loginName, password } });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.body}`);
  return sessionCookieOf(response);
}

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
