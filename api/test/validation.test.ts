import { eq, inArray, like, or } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import { type TestApp, type TestUser, createTestApp, expectError, me, randomIp, registerUser, uniqueName } from './helper.ts';

/**
 * Malformed input on every route: each answer is a 4xx in the standard shape, says nothing about the
 * server's insides, and changes nothing.
 */

let t: TestApp;
let user: TestUser;
let admin: TestUser;
let target: TestUser;
/** Every registration attempted below uses this prefix, so that "no user was created" can be checked. */
const PREFIX = uniqueName('val');

beforeAll(async () => {
  t = await createTestApp();
  user = await registerUser(t.app);
  admin = await registerUser(t.app, 'admin', t.db);
  target = await registerUser(t.app);
});
afterAll(() => t.close());

type Who = 'visitor' | 'user' | 'admin';
interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  url: string | (() => string);
  who?: Who;
  /** An object is sent as JSON; a string is sent as it is, with `contentType` (JSON by default). */
  body?: unknown;
  contentType?: string;
  status: number;
  code?: string;
}

const HUGE = 'x'.repeat(64 * 1024 + 1);
let n = 0;
/** A registration body that would be valid, for this prefix. */
const newAccount = () => {
  const username = `${PREFIX}${n++}`;
  return { email: `${username}@example.com`, username, password: 'a long enough password' };
};
const longString = (length: number) => 'a'.repeat(length);
const V = { status: 400, code: 'validation_error' } as const;
const BAD_JSON = { status: 400, code: 'invalid_json' } as const;
const TOO_LARGE = { status: 413, code: 'payload_too_large' } as const;

/** The malformed bodies every JSON route must refuse, built around one valid body. */
function bodyCases(
  route: Omit<Case, 'status' | 'name' | 'body'>,
  keys: string[],
  valid: () => Record<string, unknown>,
  label: string,
): Case[] {
  const cases: Case[] = [
    { ...route, ...V, name: `${label}: empty object`, body: {} },
    { ...route, ...V, name: `${label}: unknown extra field`, body: () => ({ ...valid(), role: 'super_admin' }) },
    { ...route, ...V, name: `${label}: an array`, body: '[]' },
    { ...route, ...V, name: `${label}: null`, body: 'null' },
    { ...route, ...V, name: `${label}: a JSON string`, body: '"hello"' },
    { ...route, ...BAD_JSON, name: `${label}: broken JSON`, body: '{"login": "x", ' },
    { ...route, ...BAD_JSON, name: `${label}: empty JSON body`, body: '' },
    { ...route, ...TOO_LARGE, name: `${label}: a body over 64 KiB`, body: () => ({ ...valid(), padding: HUGE }) },
    { ...route, status: 415, code: 'unsupported_media_type', name: `${label}: a form post`, body: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' },
    { ...route, ...V, name: `${label}: plain text`, body: 'just some text', contentType: 'text/plain' },
  ];
  for (const key of keys) {
    cases.push({ ...route, ...V, name: `${label}: missing ${key}`, body: () => omit(valid(), key) });
    cases.push({ ...route, ...V, name: `${label}: ${key} is a number`, body: () => ({ ...valid(), [key]: 12345678901 }) });
    cases.push({ ...route, ...V, name: `${label}: ${key} is an object`, body: () => ({ ...valid(), [key]: { $ne: '' } }) });
    cases.push({ ...route, ...V, name: `${label}: ${key} is null`, body: () => ({ ...valid(), [key]: null }) });
  }
  return cases;
}

function omit(object: Record<string, unknown>, key: string) {
  const copy = { ...object };
  delete copy[key];
  return copy;
}

const CASES: Case[] = [
  // ---- register ----
  ...bodyCases({ method: 'POST', url: '/api/v1/auth/register' }, ['email', 'username', 'password'], newAccount, 'register'),
  { ...V, name: 'register: not an email', method: 'POST', url: '/api/v1/auth/register', body: () => ({ ...newAccount(), email: 'not-an-email' }) },
  { ...V, name: 'register: email too long', method: 'POST', url: '/api/v1/auth/register', body: () => ({ ...newAccount(), email: `${longString(250)}@example.com` }) },
  { ...V, name: 'register: username too short', method: 'POST', url: '/api/v1/auth/register', body: () => ({ ...newAccount(), username: 'ab' }) },
  { ...V, name: 'register: username too long', method: 'POST', url: '/api/v1/auth/register', body: () => ({ ...newAccount(), username: `${PREFIX}${longString(40)}` }) },
  { ...V, name: 'register: username with odd characters', method: 'POST', url: '/api/v1/auth/register', body: () => ({ ...newAccount(), username: `${PREFIX} <b>` }) },
  { ...V, name: 'register: password too short', method: 'POST', url: '/api/v1/auth/register', body: () => ({ ...newAccount(), password: 'short' }) },
  { ...V, name: 'register: password too long', method: 'POST', url: '/api/v1/auth/register', body: () => ({ ...newAccount(), password: longString(129) }) },

  // ---- login ----
  ...bodyCases({ method: 'POST', url: '/api/v1/auth/login' }, ['login', 'password'], () => ({ login: user.username, password: 'some password' }), 'login'),
  { ...V, name: 'login: blank login', method: 'POST', url: '/api/v1/auth/login', body: () => ({ login: '   ', password: user.password }) },
  { ...V, name: 'login: empty password', method: 'POST', url: '/api/v1/auth/login', body: () => ({ login: user.username, password: '' }) },
  { ...V, name: 'login: password too long', method: 'POST', url: '/api/v1/auth/login', body: () => ({ login: user.username, password: longString(129) }) },
  { ...V, name: 'login: login too long', method: 'POST', url: '/api/v1/auth/login', body: () => ({ login: longString(255), password: user.password }) },

  // ---- logout, me, sessions ----
  { ...BAD_JSON, name: 'logout: broken JSON', method: 'POST', url: '/api/v1/auth/logout', who: 'user', body: '{"' },
  { ...TOO_LARGE, name: 'logout: a body over 64 KiB', method: 'POST', url: '/api/v1/auth/logout', who: 'user', body: { padding: HUGE } },
  { ...V, name: 'end one session: id too long', method: 'DELETE', url: `/api/v1/auth/sessions/${longString(65)}`, who: 'user' },
  { status: 414, code: 'uri_too_long', name: 'end one session: id far too long for the router', method: 'DELETE', url: `/api/v1/auth/sessions/${longString(101)}`, who: 'user' },
  { status: 400, code: 'bad_url', name: 'end one session: broken percent-encoding', method: 'DELETE', url: '/api/v1/auth/sessions/%E0%A4%A', who: 'user' },
  { ...V, name: 'end sessions: keepCurrent=maybe', method: 'DELETE', url: '/api/v1/auth/sessions?keepCurrent=maybe', who: 'user' },
  { ...V, name: 'end sessions: keepCurrent twice', method: 'DELETE', url: '/api/v1/auth/sessions?keepCurrent=true&keepCurrent=false', who: 'user' },
  { ...V, name: 'end sessions: unknown query field', method: 'DELETE', url: '/api/v1/auth/sessions?keepCurrent=true&all=1', who: 'user' },

  // ---- change password ----
  ...bodyCases(
    { method: 'POST', url: '/api/v1/auth/password', who: 'user' },
    ['currentPassword', 'newPassword'],
    () => ({ currentPassword: user.password, newPassword: 'a brand new password' }),
    'change password',
  ),
  { ...V, name: 'change password: new one too short', method: 'POST', url: '/api/v1/auth/password', who: 'user', body: () => ({ currentPassword: user.password, newPassword: 'short' }) },
  { ...V, name: 'change password: new one too long', method: 'POST', url: '/api/v1/auth/password', who: 'user', body: () => ({ currentPassword: user.password, newPassword: longString(129) }) },

  // ---- email verification, password reset ----
  { ...BAD_JSON, name: 'resend verification: broken JSON', method: 'POST', url: '/api/v1/auth/verify-email/request', who: 'user', body: '{' },
  ...bodyCases({ method: 'POST', url: '/api/v1/auth/verify-email' }, ['token'], () => ({ token: `${longString(32)}.${longString(32)}` }), 'verify email'),
  { ...V, name: 'verify email: token too short', method: 'POST', url: '/api/v1/auth/verify-email', body: { token: 'abc' } },
  { ...V, name: 'verify email: token too long', method: 'POST', url: '/api/v1/auth/verify-email', body: { token: longString(201) } },
  ...bodyCases({ method: 'POST', url: '/api/v1/auth/password-reset/request' }, ['email'], () => ({ email: user.email }), 'reset request'),
  { ...V, name: 'reset request: not an email', method: 'POST', url: '/api/v1/auth/password-reset/request', body: { email: 'nobody' } },
  ...bodyCases(
    { method: 'POST', url: '/api/v1/auth/password-reset' },
    ['token', 'password'],
    () => ({ token: `${longString(32)}.${longString(32)}`, password: 'a brand new password' }),
    'reset',
  ),
  { ...V, name: 'reset: password too short', method: 'POST', url: '/api/v1/auth/password-reset', body: { token: `${longString(32)}.${longString(32)}`, password: 'short' } },

  // ---- admin: users ----
  { ...V, name: 'admin users: page=0', method: 'GET', url: '/api/v1/admin/users?page=0', who: 'admin' },
  { ...V, name: 'admin users: page=-1', method: 'GET', url: '/api/v1/admin/users?page=-1', who: 'admin' },
  { ...V, name: 'admin users: page=abc', method: 'GET', url: '/api/v1/admin/users?page=abc', who: 'admin' },
  { ...V, name: 'admin users: page=1.5', method: 'GET', url: '/api/v1/admin/users?page=1.5', who: 'admin' },
  { ...V, name: 'admin users: page=1e400', method: 'GET', url: '/api/v1/admin/users?page=1e400', who: 'admin' },
  { ...V, name: 'admin users: page twice', method: 'GET', url: '/api/v1/admin/users?page=1&page=2', who: 'admin' },
  { ...V, name: 'admin users: limit=0', method: 'GET', url: '/api/v1/admin/users?limit=0', who: 'admin' },
  { ...V, name: 'admin users: limit=1000', method: 'GET', url: '/api/v1/admin/users?limit=1000', who: 'admin' },
  { ...V, name: 'admin users: q too long', method: 'GET', url: `/api/v1/admin/users?q=${longString(101)}`, who: 'admin' },
  { ...V, name: 'admin users: unknown query field', method: 'GET', url: '/api/v1/admin/users?sort=password_hash', who: 'admin' },
  { ...V, name: 'admin patch: id not a uuid', method: 'PATCH', url: '/api/v1/admin/users/not-a-uuid', who: 'admin', body: { role: 'creator' } },
  { ...V, name: 'admin patch: id with SQL', method: 'PATCH', url: `/api/v1/admin/users/${encodeURIComponent("1' or '1'='1")}`, who: 'admin', body: { role: 'creator' } },
  { ...V, name: 'admin patch: neither role nor isActive', method: 'PATCH', url: () => `/api/v1/admin/users/${target.id}`, who: 'admin', body: {} },
  { ...V, name: 'admin patch: unknown role', method: 'PATCH', url: () => `/api/v1/admin/users/${target.id}`, who: 'admin', body: { role: 'king' } },
  { ...V, name: 'admin patch: role as a level', method: 'PATCH', url: () => `/api/v1/admin/users/${target.id}`, who: 'admin', body: { role: 3 } },
  { ...V, name: 'admin patch: isActive as a string', method: 'PATCH', url: () => `/api/v1/admin/users/${target.id}`, who: 'admin', body: { isActive: 'false' } },
  { ...V, name: 'admin patch: unknown field', method: 'PATCH', url: () => `/api/v1/admin/users/${target.id}`, who: 'admin', body: { role: 'creator', email: 'x@example.com' } },
  { ...V, name: 'admin patch: null body', method: 'PATCH', url: () => `/api/v1/admin/users/${target.id}`, who: 'admin', body: 'null' },
  { ...BAD_JSON, name: 'admin patch: broken JSON', method: 'PATCH', url: () => `/api/v1/admin/users/${target.id}`, who: 'admin', body: '{"role":' },
  { ...TOO_LARGE, name: 'admin patch: a body over 64 KiB', method: 'PATCH', url: () => `/api/v1/admin/users/${target.id}`, who: 'admin', body: { isActive: false, padding: HUGE } },
  { status: 415, code: 'unsupported_media_type', name: 'admin patch: a form post', method: 'PATCH', url: () => `/api/v1/admin/users/${target.id}`, who: 'admin', body: 'isActive=false', contentType: 'application/x-www-form-urlencoded' },

  // ---- admin: audit, outbox ----
  { ...V, name: 'audit: userId not a uuid', method: 'GET', url: '/api/v1/admin/audit?userId=me', who: 'admin' },
  { ...V, name: 'audit: page=0', method: 'GET', url: '/api/v1/admin/audit?page=0', who: 'admin' },
  { ...V, name: 'audit: limit=1000', method: 'GET', url: '/api/v1/admin/audit?limit=1000', who: 'admin' },
  { ...V, name: 'audit: action too long', method: 'GET', url: `/api/v1/admin/audit?action=${longString(65)}`, who: 'admin' },
  { ...V, name: 'audit: unknown query field', method: 'GET', url: '/api/v1/admin/audit?resourceId=x', who: 'admin' },
  { ...V, name: 'outbox: page=0', method: 'GET', url: '/api/v1/admin/outbox?page=0', who: 'admin' },
  { ...V, name: 'outbox: limit=1000', method: 'GET', url: '/api/v1/admin/outbox?limit=1000', who: 'admin' },
  { ...V, name: 'outbox: unknown query field', method: 'GET', url: '/api/v1/admin/outbox?q=reset', who: 'admin' },

  // ---- unknown routes and methods ----
  { status: 404, code: 'not_found', name: 'unknown API route', method: 'GET', url: '/api/v1/nothing-here' },
  { status: 404, code: 'not_found', name: 'unknown API route, signed in', method: 'GET', url: '/api/v1/admin/nothing-here', who: 'admin' },
  { status: 404, code: 'not_found', name: 'unknown auth route', method: 'POST', url: '/api/v1/auth/nothing', body: {} },
  { status: 404, code: 'not_found', name: 'a method the route does not have', method: 'PUT', url: '/api/v1/auth/login', body: {} },
  { status: 404, code: 'not_found', name: 'an older API version', method: 'GET', url: '/api/v0/auth/me' },
  { status: 404, code: 'not_found', name: 'unknown route outside the API', method: 'GET', url: '/wp-login.php' },
];

interface Snapshot {
  prefixedUsers: number;
  users: unknown[];
  sessions: string[];
  tokens: number;
  audit: number;
}

async function snapshot(): Promise<Snapshot> {
  const ids = [user.id, admin.id, target.id];
  const [prefixed, users, sessions, tokens, audit] = await Promise.all([
    t.db.select({ id: schema.users.id }).from(schema.users).where(or(like(schema.users.username, `${PREFIX}%`), like(schema.users.email, `%${PREFIX}%`))),
    t.db
      .select({
        id: schema.users.id,
        passwordHash: schema.users.passwordHash,
        roleId: schema.users.roleId,
        isActive: schema.users.isActive,
        emailVerified: schema.users.emailVerified,
        email: schema.users.email,
        updatedAt: schema.users.updatedAt,
      })
      .from(schema.users)
      .where(inArray(schema.users.id, ids))
      .orderBy(schema.users.id),
    t.db.select({ id: schema.userSessions.id }).from(schema.userSessions).where(inArray(schema.userSessions.userId, ids)),
    t.db.select({ id: schema.emailTokens.id }).from(schema.emailTokens).where(inArray(schema.emailTokens.userId, ids)),
    t.db
      .select({ id: schema.auditLogs.id })
      .from(schema.auditLogs)
      .where(or(inArray(schema.auditLogs.userId, ids), inArray(schema.auditLogs.resourceId, ids))),
  ]);
  return {
    prefixedUsers: prefixed.length,
    users,
    sessions: sessions.map((s) => s.id).sort(),
    tokens: tokens.length,
    audit: audit.length,
  };
}

function inject(c: Case) {
  const cookie = c.who === 'user' ? user.cookie : c.who === 'admin' ? admin.cookie : undefined;
  const body = typeof c.body === 'function' ? (c.body as () => unknown)() : c.body;
  const headers: Record<string, string> = cookie ? { cookie } : {};
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    headers['content-type'] = c.contentType ?? 'application/json';
  }
  return t.app.inject({
    method: c.method,
    url: typeof c.url === 'function' ? c.url() : c.url,
    headers,
    ...(payload !== undefined && { payload }),
    // The sign-in routes allow 10 requests a minute per address: each case comes from its own.
    remoteAddress: randomIp(),
  });
}

describe('malformed input', () => {
  it('the table covers every API route', () => {
    const routes = new Set(CASES.map((c) => `${c.method} ${(typeof c.url === 'function' ? c.url() : c.url).split('?')[0]}`));
    const covered = (method: string, pattern: RegExp) => [...routes].some((r) => r.startsWith(`${method} `) && pattern.test(r.slice(method.length + 1)));
    const expected: [string, RegExp][] = [
      ['POST', /^\/api\/v1\/auth\/register$/],
      ['POST', /^\/api\/v1\/auth\/login$/],
      ['POST', /^\/api\/v1\/auth\/logout$/],
      ['DELETE', /^\/api\/v1\/auth\/sessions\/.+$/],
      ['DELETE', /^\/api\/v1\/auth\/sessions$/],
      ['POST', /^\/api\/v1\/auth\/password$/],
      ['POST', /^\/api\/v1\/auth\/verify-email\/request$/],
      ['POST', /^\/api\/v1\/auth\/verify-email$/],
      ['POST', /^\/api\/v1\/auth\/password-reset\/request$/],
      ['POST', /^\/api\/v1\/auth\/password-reset$/],
      ['GET', /^\/api\/v1\/admin\/users$/],
      ['PATCH', /^\/api\/v1\/admin\/users\/.+$/],
      ['GET', /^\/api\/v1\/admin\/audit$/],
      ['GET', /^\/api\/v1\/admin\/outbox$/],
    ];
    for (const [method, pattern] of expected) expect(covered(method, pattern), `${method} ${pattern}`).toBe(true);
  });

  for (const c of CASES) {
    it(`${c.name} → ${c.status}${c.code ? ` ${c.code}` : ''}`, async () => {
      const before = await snapshot();
      const response = await inject(c);
      expectError(response, c.status, c.code);
      expect(response.cookies.filter((k) => k.value !== '')).toHaveLength(0);
      expect(await snapshot()).toEqual(before);
    });
  }

  it('validation errors say which field is wrong', async () => {
    const response = await inject({
      name: '',
      method: 'POST',
      url: '/api/v1/auth/register',
      body: { email: 'nope', username: 'ok_name', password: 'short' },
      status: 400,
    });
    expectError(response, 400, 'validation_error');
    const paths = (response.json().error.details as { path: string; message: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(['email', 'password']);
  });

  it('the signed-in people used above are still signed in, with their old passwords', async () => {
    for (const who of [user, admin, target]) expect((await me(t.app, who.cookie)).statusCode).toBe(200);
    const [row] = await t.db.select({ isActive: schema.users.isActive }).from(schema.users).where(eq(schema.users.id, target.id));
    expect(row!.isActive).toBe(true);
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: user.username, password: user.password },
      remoteAddress: randomIp(),
    });
    expect(signIn.statusCode).toBe(200);
  });
});

describe('every documented route, including ones added later', () => {
  interface Operation {
    method: string;
    path: string;
    params: string[];
    json: boolean;
  }
  let operations: Operation[];
  let superAdmin: TestUser;
  beforeAll(async () => {
    superAdmin = await registerUser(t.app, 'super_admin', t.db);
    const doc = (await t.app.inject({ method: 'GET', url: '/api/docs/json' })).json() as {
      paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: { content: Record<string, unknown> } }>>;
    };
    operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, ops]) =>
        Object.entries(ops).map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
          json: Boolean(op.requestBody?.content['application/json']),
        })),
      );
  });

  const url = (op: Operation, value: (name: string) => string) =>
    op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(value(name)));
  // As the most privileged caller, so that only the input itself can be at fault.
  const send = (op: Operation, path: string, payload?: string, contentType = 'application/json') =>
    t.app.inject({
      method: op.method as 'GET',
      url: path,
      headers: { cookie: superAdmin.cookie, ...(payload !== undefined && { 'content-type': contentType }) },
      ...(payload !== undefined && { payload }),
      remoteAddress: randomIp(),
    });

  it('the API documents the routes tested above', () => {
    const documented = new Set(operations.map((o) => `${o.method} ${o.path}`));
    for (const route of ['POST /api/v1/auth/register', 'PATCH /api/v1/admin/users/{id}', 'DELETE /api/v1/auth/sessions/{id}', 'GET /api/v1/admin/outbox']) {
      expect(documented).toContain(route);
    }
  });

  it('malformed ids in the path get a 4xx in the standard shape', async () => {
    const withParams = operations.filter((o) => o.params.length > 0);
    expect(withParams.length).toBeGreaterThan(0);
    for (const op of withParams) {
      const bads = ['not-a-uuid', longString(300), "1' or '1'='1", '../../etc/passwd', '%E0%A4%A'];
      for (const bad of bads) {
        // The last one goes as it is: a broken percent-encoding.
        const path = bad.startsWith('%') ? op.path.replace(/\{(\w+)\}/g, bad) : url(op, () => bad);
        const response = await send(op, path, op.json ? '{}' : undefined);
        expect(response.statusCode, `${op.method} ${op.path} with ${bad.slice(0, 20)}: ${response.body}`).toBeGreaterThanOrEqual(400);
        expect(response.statusCode, `${op.method} ${op.path}`).toBeLessThan(500);
        if (response.json().success !== false) expect.fail(`${op.method} ${op.path} with ${bad.slice(0, 20)}: ${response.statusCode} ${response.body}`);
        expectError(response, response.statusCode);
      }
    }
  });

  it('broken JSON, oversized and non-JSON bodies get 400, 413 and 415', async () => {
    const withBody = operations.filter((o) => o.json);
    expect(withBody.length).toBeGreaterThan(0);
    for (const op of withBody) {
      const path = url(op, () => crypto.randomUUID());
      const label = `${op.method} ${op.path}`;
      const broken = await send(op, path, '{"a": ');
      expect(broken.statusCode, label).toBe(400);
      expectError(broken, 400, 'invalid_json');
      expectError(await send(op, path, JSON.stringify({ padding: HUGE })), 413, 'payload_too_large');
      expectError(await send(op, path, 'a=1', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type');
    }
  });
});

describe('odd but valid input', () => {
  it('search text with SQL wildcards and quotes is taken literally', async () => {
    for (const q of ['%', "' or 1=1 --", '\\', '%_\\"']) {
      const response = await t.app.inject({
        method: 'GET',
        url: `/api/v1/admin/users?q=${encodeURIComponent(q)}`,
        headers: { cookie: admin.cookie },
      });
      expect(response.statusCode, q).toBe(200);
      expect(response.json().pagination.total, q).toBe(0);
    }
  });

  it('a sign-in name with quotes and unicode is just a wrong name', async () => {
    for (const login of ["admin' --", 'ünïcödé@example.com', '"); drop table users; --']) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login, password: 'whatever it is' },
        remoteAddress: randomIp(),
      });
      expectError(response, 401, 'invalid_credentials');
    }
  });
});
