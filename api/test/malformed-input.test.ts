import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import { type TestApp, createTestApp, expectError, registerUser, sessionIds, uniqueName } from './helper.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('malformed session cookie', () => {
  it.each([['NUL', 'abc\u0000d.ef'], ['encoded NUL', 'abc%00d.ef'], ['control', 'abc%01d.ef'], ['lone surrogate', 'abc%ED%A0%80.ef']])(
    'a %s byte in the cookie is treated as no session',
    async (_kind, value) => {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: `inkwell_session=${value}` } });
      expect(response.statusCode).toBe(401);
      expect(response.json().success).toBe(false);
    },
  );
});

describe('unstorable text in requests', () => {
  it.each([['NUL', 'a\u0000b'], ['lone surrogate', 'a\ud800b']])('a %s in a JSON body is refused with 400 before any write', async (_kind, bad) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'x@example.com', username: bad, password: 'a long enough password' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ success: false, error: { code: 'invalid_text' } });
  });
});

describe('a body nested too deep', () => {
  it('is refused with 400, not a stack overflow', async () => {
    const depth = 30_000;
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: `{"username":${'['.repeat(depth)}${']'.repeat(depth)}}`,
    });
    expectError(response, 400, 'too_deep');
  });
});

describe('an invalid X-Forwarded-For behind a trusted proxy', () => {
  let proxied: TestApp;
  beforeAll(async () => {
    proxied = await createTestApp({ trustProxy: true });
  });
  afterAll(() => proxied.close());

  it.each(['not-an-ip', '999.1.1.1', '1.2.3.4:80', 'fe80::1%eth0'])('%s is refused with 400 before an account is created', async (forwarded) => {
    const username = uniqueName();
    const response = await proxied.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'x-forwarded-for': forwarded },
      payload: { email: `${username}@example.com`, username, password: 'a long enough password' },
    });
    expectError(response, 400, 'invalid_client_address');
    expect(await proxied.db.select().from(schema.users).where(eq(schema.users.username, username))).toEqual([]);
  });

  it('is refused before sessions are ended', async () => {
    const user = await registerUser(proxied.app);
    const response = await proxied.app.inject({
      method: 'DELETE',
      url: '/api/v1/auth/sessions',
      headers: { cookie: user.cookie, 'x-forwarded-for': 'junk' },
    });
    expectError(response, 400, 'invalid_client_address');
    expect(await sessionIds(proxied.db, user.id)).toHaveLength(1);
  });
});

describe('a malformed multipart upload', () => {
  it.each([
    ['no boundary', 'multipart/form-data', 'garbage'],
    ['no part', 'multipart/form-data; boundary=B', 'garbage'],
    ['a truncated part', 'multipart/form-data; boundary=B', '--B\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc'],
  ])('with %s is refused with 400', async (_kind, contentType, payload) => {
    const user = await registerUser(t.app);
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/media', headers: { 'content-type': contentType, cookie: user.cookie }, payload });
    expectError(response, 400, 'malformed_multipart');
  });
});
