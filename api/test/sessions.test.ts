import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import {
  type TestApp,
  auditActions,
  createTestApp,
  expectError,
  login,
  me,
  randomIp,
  registerUser,
  sessionCookieOf,
  sessionIdOf,
  sessionIds,
  uniqueName,
} from './helper.ts';

const DAY = 24 * 60 * 60 * 1000;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const listSessions = (cookie: string) => t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: { cookie } });
const endSession = (cookie: string, id: string) =>
  t.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${id}`, headers: { cookie } });
const sessionRow = async (id: string) =>
  (await t.db.select().from(schema.userSessions).where(eq(schema.userSessions.id, id)))[0];

describe('listing my sessions', () => {
  it('lists every session of mine, marks the one I am using, and never shows another user’s', async () => {
    const user = await registerUser(t.app);
    const laptop = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: user.username, password: user.password },
      headers: { 'user-agent': 'Laptop browser' },
      remoteAddress: '10.20.30.40',
    });
    const laptopCookie = sessionCookieOf(laptop);
    const other = await registerUser(t.app);

    const response = await listSessions(laptopCookie);
    expect(response.statusCode).toBe(200);
    const sessions = response.json().data as { id: string; current: boolean; ipAddress: string; userAgent: string; expiresAt: string }[];
    expect(sessions.map((s) => s.id).sort()).toEqual([sessionIdOf(user.cookie), sessionIdOf(laptopCookie)].sort());
    expect(sessions.map((s) => s.id)).not.toContain(sessionIdOf(other.cookie));
    expect(sessions.filter((s) => s.current).map((s) => s.id)).toEqual([sessionIdOf(laptopCookie)]);
    const current = sessions.find((s) => s.current)!;
    expect(current).toMatchObject({ ipAddress: '10.20.30.40', userAgent: 'Laptop browser' });
    expect(new Date(current.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * DAY);
    // Nothing secret is listed: only the id, which is useless without the secret half of the token.
    expect(response.body).not.toContain(user.cookie.split('.')[1]);
    expect(response.body).not.toContain('secretHash');

    // From the other device, that one is the current one.
    const fromFirst = (await listSessions(user.cookie)).json().data as { id: string; current: boolean }[];
    expect(fromFirst.find((s) => s.current)!.id).toBe(sessionIdOf(user.cookie));
  });

  it('is refused to a visitor', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions' });
    expectError(response, 401, 'unauthenticated');
  });
});

describe('ending sessions', () => {
  it('ends one of my sessions: that cookie is then refused, the others keep working', async () => {
    const user = await registerUser(t.app);
    const phone = await login(t.app, user.username, user.password);

    const response = await endSession(user.cookie, sessionIdOf(phone));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ success: true, data: {} });
    expectError(await me(t.app, phone), 401, 'unauthenticated');
    expect((await me(t.app, user.cookie)).statusCode).toBe(200);
    expect(await sessionIds(t.db, user.id)).toEqual([sessionIdOf(user.cookie)]);
  });

  it('ending my current session clears my cookie and signs me out', async () => {
    const user = await registerUser(t.app);
    const response = await endSession(user.cookie, sessionIdOf(user.cookie));
    expect(response.statusCode).toBe(200);
    expect(response.cookies.find((c) => c.name === 'inkwell_session')?.value).toBe('');
    expect((await me(t.app, user.cookie)).statusCode).toBe(401);
  });

  it('answers 404 for another user’s session id, and that session keeps working', async () => {
    const user = await registerUser(t.app);
    const victim = await registerUser(t.app);
    const response = await endSession(user.cookie, sessionIdOf(victim.cookie));
    expectError(response, 404, 'not_found');
    expect((await me(t.app, victim.cookie)).statusCode).toBe(200);
    expect(await sessionIds(t.db, victim.id)).toEqual([sessionIdOf(victim.cookie)]);
    // An id that does not exist at all gets the same answer.
    expectError(await endSession(user.cookie, 'nosuchsession'), 404, 'not_found');
  });

  it('DELETE /sessions?keepCurrent=true ends my other sessions only', async () => {
    const user = await registerUser(t.app);
    const other1 = await login(t.app, user.username, user.password);
    const other2 = await login(t.app, user.email, user.password);
    const bystander = await registerUser(t.app);

    const response = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/auth/sessions?keepCurrent=true',
      headers: { cookie: user.cookie },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toEqual({ ended: 2 });
    // The cookie of the session that asked is left alone.
    expect(response.cookies.find((c) => c.name === 'inkwell_session')).toBeUndefined();
    expect((await me(t.app, user.cookie)).statusCode).toBe(200);
    for (const cookie of [other1, other2]) expect((await me(t.app, cookie)).statusCode).toBe(401);
    expect(await sessionIds(t.db, user.id)).toEqual([sessionIdOf(user.cookie)]);
    expect((await me(t.app, bystander.cookie)).statusCode).toBe(200);
  });

  it('DELETE /sessions ends all of them, the current one included', async () => {
    const user = await registerUser(t.app);
    const other = await login(t.app, user.username, user.password);
    const bystander = await registerUser(t.app);

    const response = await t.app.inject({ method: 'DELETE', url: '/api/v1/auth/sessions', headers: { cookie: user.cookie } });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toEqual({ ended: 2 });
    expect(response.cookies.find((c) => c.name === 'inkwell_session')?.value).toBe('');
    for (const cookie of [user.cookie, other]) expect((await me(t.app, cookie)).statusCode).toBe(401);
    expect(await sessionIds(t.db, user.id)).toEqual([]);
    expect((await me(t.app, bystander.cookie)).statusCode).toBe(200);
    expect(await auditActions(t.db, user.id)).toContain('auth.sessions_ended');
  });
});

describe('session lifetime, read from the database', () => {
  // These tests change rows behind the API's back, so they use an app that does not keep validated
  // sessions in memory (SESSION_CACHE_SECONDS=0); the clock-driven tests below cover the cached path.
  let plain: TestApp;
  beforeAll(async () => {
    plain = await createTestApp({ sessionCacheMs: 0 });
  });
  afterAll(() => plain.close());
  const row = async (id: string) => (await plain.db.select().from(schema.userSessions).where(eq(schema.userSessions.id, id)))[0];

  it('refuses an expired session and deletes its row', async () => {
    const user = await registerUser(plain.app);
    const id = sessionIdOf(user.cookie);
    await plain.db
      .update(schema.userSessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(schema.userSessions.id, id));

    const response = await me(plain.app, user.cookie);
    expectError(response, 401, 'unauthenticated');
    // The browser is told to forget the dead cookie.
    expect(response.cookies.find((c) => c.name === 'inkwell_session')?.value).toBe('');
    expect(await row(id)).toBeUndefined();
  });

  it('renews a session that has used up more than half its lifetime, on the server and in the cookie', async () => {
    const user = await registerUser(plain.app);
    const id = sessionIdOf(user.cookie);
    await plain.db
      .update(schema.userSessions)
      .set({ expiresAt: new Date(Date.now() + DAY) })
      .where(eq(schema.userSessions.id, id));

    const before = Date.now();
    const response = await me(plain.app, user.cookie);
    expect(response.statusCode).toBe(200);
    const cookie = response.cookies.find((c) => c.name === 'inkwell_session');
    expect(cookie, 'the renewed session is sent again').toBeDefined();
    expect(`${cookie!.name}=${cookie!.value}`).toBe(user.cookie);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    const cookieExpiry = new Date(cookie!.expires as Date).getTime();
    expect(cookieExpiry).toBeGreaterThan(before + 30 * DAY - 60_000);
    expect(cookieExpiry).toBeLessThan(Date.now() + 30 * DAY + 60_000);
    expect(Math.abs((await row(id))!.expiresAt.getTime() - cookieExpiry)).toBeLessThan(1000);

    // A session in the first half of its life is not rewritten on every request.
    const next = await me(plain.app, user.cookie);
    expect(next.statusCode).toBe(200);
    expect(next.cookies.find((c) => c.name === 'inkwell_session')).toBeUndefined();
  });

  it('refuses every session of an account deactivated behind the API’s back, and deletes them', async () => {
    const user = await registerUser(plain.app);
    await plain.db.update(schema.users).set({ isActive: false }).where(eq(schema.users.id, user.id));
    expectError(await me(plain.app, user.cookie), 401, 'unauthenticated');
    expect(await row(sessionIdOf(user.cookie))).toBeUndefined();
  });
});

describe('session lifetime, as time passes (sessions kept in memory, the default)', () => {
  // The API's clock, moved forward by the test; Date.now() itself is left alone.
  let offsetMs = 0;
  let timed: TestApp;
  beforeAll(async () => {
    timed = await createTestApp({}, { now: () => new Date(Date.now() + offsetMs) });
  });
  afterAll(() => timed.close());
  const row = async (id: string) => (await timed.db.select().from(schema.userSessions).where(eq(schema.userSessions.id, id)))[0];

  it('renews a session used after half its lifetime, then lets it expire after a month unused', async () => {
    offsetMs = 0;
    const user = await registerUser(timed.app);
    const id = sessionIdOf(user.cookie);
    const created = (await row(id))!.expiresAt.getTime();
    expect((await me(timed.app, user.cookie)).cookies).toHaveLength(0);

    // 16 days later: more than half of the 30 days used up.
    offsetMs = 16 * DAY;
    const renewed = await me(timed.app, user.cookie);
    expect(renewed.statusCode).toBe(200);
    const cookie = renewed.cookies.find((c) => c.name === 'inkwell_session');
    expect(cookie?.value).toBe(user.cookie.split('=')[1]);
    const cookieExpiry = new Date(cookie!.expires as Date).getTime();
    expect(cookieExpiry).toBeGreaterThan(created + 16 * DAY - 60_000);
    expect(Math.abs((await row(id))!.expiresAt.getTime() - cookieExpiry)).toBeLessThan(1000);

    // Used again the same day: still valid, no new cookie needed.
    expect((await me(timed.app, user.cookie)).cookies).toHaveLength(0);

    // 31 days after the renewal, unused: gone.
    offsetMs = 16 * DAY + 31 * DAY;
    const expired = await me(timed.app, user.cookie);
    expectError(expired, 401, 'unauthenticated');
    expect(await row(id)).toBeUndefined();
    offsetMs = 0;
  });

  it('never lists sessions that have expired', async () => {
    offsetMs = 0;
    const user = await registerUser(timed.app);
    const other = await login(timed.app, user.username, user.password);
    await timed.db
      .update(schema.userSessions)
      .set({ expiresAt: new Date(Date.now() + DAY) })
      .where(eq(schema.userSessions.id, sessionIdOf(other)));
    // Two days on, the other session is past its expiry; the current one (29 days left) is not.
    offsetMs = 2 * DAY;
    const listed = await timed.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: { cookie: user.cookie } });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().data.map((s: { id: string }) => s.id)).toEqual([sessionIdOf(user.cookie)]);
    offsetMs = 0;
  });
});

describe('forged tokens', () => {
  it('refuses a token with a real session id but the wrong secret, and leaves that session alone', async () => {
    const user = await registerUser(t.app);
    const id = sessionIdOf(user.cookie);
    const forged = `inkwell_session=${id}.${'a'.repeat(32)}`;
    expectError(await me(t.app, forged), 401, 'unauthenticated');
    for (const garbage of ['inkwell_session=nodot', `inkwell_session=${id}.`, `inkwell_session=${id}.x.y`, `inkwell_session=${'a'.repeat(300)}`]) {
      expectError(await me(t.app, garbage), 401, 'unauthenticated');
    }
    expect(await sessionRow(id)).toBeDefined();
    expect((await me(t.app, user.cookie)).statusCode).toBe(200);
  });
});

describe('changing my password', () => {
  const changePassword = (cookie: string, body: unknown) =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { cookie }, payload: body as object });

  it('refuses a wrong current password and changes nothing', async () => {
    const user = await registerUser(t.app);
    const other = await login(t.app, user.username, user.password);
    const [before] = await t.db.select().from(schema.users).where(eq(schema.users.id, user.id));
    const sessionsBefore = await sessionIds(t.db, user.id);

    const response = await changePassword(user.cookie, { currentPassword: 'not my password', newPassword: 'a brand new password' });
    expectError(response, 400, 'wrong_password');
    expect(response.json().error.details).toEqual([{ path: 'currentPassword', message: expect.any(String) }]);
    expect(response.cookies.find((c) => c.name === 'inkwell_session')).toBeUndefined();

    const [after] = await t.db.select().from(schema.users).where(eq(schema.users.id, user.id));
    expect(after!.passwordHash).toBe(before!.passwordHash);
    expect(await sessionIds(t.db, user.id)).toEqual(sessionsBefore);
    for (const cookie of [user.cookie, other]) expect((await me(t.app, cookie)).statusCode).toBe(200);
    expect(await login(t.app, user.username, user.password)).toBeTruthy();
    expect(await auditActions(t.db, user.id)).not.toContain('auth.password_changed');
  });

  it('sets the new password, ends my other sessions and gives me a fresh session', async () => {
    const user = await registerUser(t.app);
    const other = await login(t.app, user.username, user.password);
    const newPassword = 'an entirely new passphrase';

    const response = await changePassword(user.cookie, { currentPassword: user.password, newPassword });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({ id: user.id, username: user.username });
    const fresh = sessionCookieOf(response);
    expect(fresh).not.toBe(user.cookie);

    expect((await me(t.app, fresh)).statusCode).toBe(200);
    for (const cookie of [user.cookie, other]) expectError(await me(t.app, cookie), 401, 'unauthenticated');
    expect(await sessionIds(t.db, user.id)).toEqual([sessionIdOf(fresh)]);

    const oldPassword = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: user.username, password: user.password },
      remoteAddress: randomIp(),
    });
    expectError(oldPassword, 401, 'invalid_credentials');
    expect((await me(t.app, await login(t.app, user.email, newPassword))).json().data.id).toBe(user.id);

    expect(await auditActions(t.db, user.id)).toContain('auth.password_changed');
  });

  it('is refused to a visitor', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { currentPassword: 'whatever it is', newPassword: 'a brand new password' },
    });
    expectError(response, 401, 'unauthenticated');
  });
});

describe('cookies on an https site', () => {
  it('uses a __Host- prefixed, Secure, host-only cookie and sends HSTS', async () => {
    const secure = await createTestApp({ publicUrl: 'https://inkwell.example', secureCookies: true });
    const name = uniqueName();
    try {
      const response = await secure.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: `${name}@example.com`, username: name, password: 'a long enough password' },
        remoteAddress: randomIp(),
      });
      expect(response.statusCode).toBe(201);
      const cookie = response.cookies.find((c) => c.name === '__Host-inkwell_session');
      expect(cookie).toMatchObject({ secure: true, httpOnly: true, path: '/', sameSite: 'Lax' });
      expect(cookie!.domain).toBeUndefined();
      expect(response.cookies.find((c) => c.name === 'inkwell_session')).toBeUndefined();
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);

      const who = await secure.app.inject({
        method: 'GET',
        url: '/api/v1/auth/me',
        headers: { cookie: `__Host-inkwell_session=${cookie!.value}` },
      });
      expect(who.statusCode).toBe(200);
      // The plain name is not read on a secure site.
      const plain = await secure.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: `inkwell_session=${cookie!.value}` } });
      expect(plain.statusCode).toBe(401);
    } finally {
      await secure.close();
    }
  });
});
