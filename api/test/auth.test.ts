import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import { type TestApp, auditActions, createTestApp, registerUser, sessionCookieOf, uniqueName } from './helper.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const me = (cookie?: string) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: cookie ? { cookie } : {} });

describe('register', () => {
  it('creates a user with the user role, signs them in and stores only a password hash', async () => {
    const username = uniqueName('Reg');
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: `${username}@Example.com`, username, password: 'a long enough password' },
    });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.success).toBe(true);
    expect(body.data).toMatchObject({ username, email: `${username.toLowerCase()}@example.com`, role: { name: 'user', level: 2 } });
    expect(body.data.permissions).toContain('comics:create');
    expect(body.data).not.toHaveProperty('passwordHash');

    const cookie = response.cookies.find((c) => c.name === 'inkwell_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect((await me(sessionCookieOf(response))).json().data.id).toBe(body.data.id);

    const [row] = await t.db.select().from(schema.users).where(eq(schema.users.id, body.data.id));
    expect(row!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const [session] = await t.db.select().from(schema.userSessions).where(eq(schema.userSessions.userId, body.data.id));
    // The cookie's secret is not what the database holds.
    expect(session!.secretHash.toString('hex')).not.toContain(cookie.value.split('.')[1]);
    expect(await auditActions(t.db, body.data.id)).toEqual(['auth.register', 'auth.sign_in']);
  });

  it('refuses a taken email or username, whatever the case, and creates nothing', async () => {
    const user = await registerUser(t.app);
    const sameEmail = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: user.email.toUpperCase(), username: uniqueName(), password: 'a long enough password' },
    });
    expect(sameEmail.statusCode).toBe(409);
    expect(sameEmail.json().error.code).toBe('email_taken');
    const sameName = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: `${uniqueName()}@example.com`, username: user.username.toUpperCase(), password: 'a long enough password' },
    });
    expect(sameName.statusCode).toBe(409);
    expect(sameName.json().error.code).toBe('username_taken');
    expect(sameName.cookies).toHaveLength(0);
  });
});

describe('login', () => {
  it('signs in by email and by username, case-insensitively', async () => {
    const user = await registerUser(t.app);
    for (const login of [user.email, user.username, user.username.toUpperCase()]) {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login, password: user.password } });
      expect(response.statusCode).toBe(200);
      expect((await me(sessionCookieOf(response))).json().data.username).toBe(user.username);
    }
  });

  it('refuses a wrong password and an unknown account with the same answer, and audits the failure', async () => {
    const user = await registerUser(t.app);
    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: user.username, password: 'not the password' } });
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: uniqueName(), password: 'whatever it is' } });
    for (const response of [wrong, unknown]) {
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ success: false, error: { code: 'invalid_credentials' } });
      expect(response.cookies).toHaveLength(0);
    }
    expect(wrong.json().error.message).toBe(unknown.json().error.message);
    expect(await auditActions(t.db, user.id)).toContain('auth.sign_in_failed');
  });
});

describe('logout', () => {
  it('ends the session on the server and clears the cookie', async () => {
    const user = await registerUser(t.app);
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: user.cookie } });
    expect(response.statusCode).toBe(200);
    expect(response.cookies.find((c) => c.name === 'inkwell_session')?.value).toBe('');
    // The old cookie no longer works even if a browser kept it.
    expect((await me(user.cookie)).statusCode).toBe(401);
    expect(await auditActions(t.db, user.id)).toContain('auth.sign_out');
  });

  it('answers 401 in the standard shape to a visitor asking who they are', async () => {
    const response = await me();
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ success: false, error: { code: 'unauthenticated' } });
  });
});
