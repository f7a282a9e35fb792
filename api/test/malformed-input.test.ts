import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from './helper.ts';

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
