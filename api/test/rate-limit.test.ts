import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_ROUTE_LIMIT, REQUESTS_PER_MINUTE } from '../src/plugins/rate-limit.ts';
import { type TestApp, createTestApp, expectError, randomIp, registerUser, uniqueName } from './helper.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const signIn = (loginName: string, password: string, remoteAddress: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: loginName, password }, remoteAddress });

describe('sign-in, limited per address', () => {
  it(`cuts one address off after ${AUTH_ROUTE_LIMIT.max} attempts a minute, and only that address`, async () => {
    const user = await registerUser(t.app);
    const attacker = randomIp();
    // Different (unknown) names each time, so that only the per-address limit is at play.
    for (let i = 0; i < AUTH_ROUTE_LIMIT.max; i++) {
      const response = await signIn(uniqueName('guess'), 'some password guess', attacker);
      expect(response.statusCode, `attempt ${i + 1}`).toBe(401);
      expect(response.headers['x-ratelimit-limit']).toBe(String(AUTH_ROUTE_LIMIT.max));
      expect(response.headers['x-ratelimit-remaining']).toBe(String(AUTH_ROUTE_LIMIT.max - i - 1));
    }

    const cut = await signIn(user.username, user.password, attacker);
    expectError(cut, 429, 'rate_limited');
    const retryAfter = Number(cut.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(cut.cookies).toHaveLength(0);

    // Someone else, elsewhere, signs in as usual.
    const elsewhere = await signIn(user.username, user.password, randomIp());
    expect(elsewhere.statusCode).toBe(200);
  });

  it('counts registrations per address too', async () => {
    const address = randomIp();
    const register = () => {
      const name = uniqueName();
      return t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: `${name}@example.com`, username: name, password: 'a long enough password' },
        remoteAddress: address,
      });
    };
    for (let i = 0; i < AUTH_ROUTE_LIMIT.max; i++) expect((await register()).statusCode).toBe(201);
    const cut = await register();
    expectError(cut, 429, 'rate_limited');
    expect(cut.headers['retry-after']).toBeDefined();
  });
});

describe('sign-in, locked per account', () => {
  it('locks an account after 10 failed sign-ins from anywhere, even against the right password', async () => {
    const user = await registerUser(t.app);
    // Username and email are one account: guesses through either count together.
    for (let i = 0; i < 10; i++) {
      const response = await signIn(i % 2 ? user.username : user.email.toUpperCase(), `wrong password ${i}`, randomIp());
      expectError(response, 401, 'invalid_credentials');
    }
    for (const name of [user.username, user.email]) {
      const locked = await signIn(name, user.password, randomIp());
      expectError(locked, 429, 'too_many_attempts');
      expect(locked.cookies).toHaveLength(0);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(60);
      expect(locked.json().error.details.retryAfter).toBe(Number(locked.headers['retry-after']));
    }

    // Other accounts are not affected.
    const other = await registerUser(t.app);
    expect((await signIn(other.username, other.password, randomIp())).statusCode).toBe(200);
  });

  it('a successful sign-in resets the count of failures', async () => {
    const user = await registerUser(t.app);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 9; i++) expectError(await signIn(user.username, `wrong ${round}.${i}`, randomIp()), 401, 'invalid_credentials');
      const ok = await signIn(user.username, user.password, randomIp());
      expect(ok.statusCode, `round ${round}: ${ok.body}`).toBe(200);
    }
  });
});

describe('password change, locked per account', () => {
  it('stops a stolen cookie from guessing the current password', async () => {
    const user = await registerUser(t.app);
    const change = (currentPassword: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        payload: { currentPassword, newPassword: 'a brand new password' },
        headers: { cookie: user.cookie },
        remoteAddress: randomIp(),
      });
    for (let i = 0; i < 10; i++) expectError(await change(`guess number ${i}`), 400, 'wrong_password');
    expectError(await change(user.password), 429, 'too_many_attempts');
    // The password did not change: the right one still signs in once the lock is lifted elsewhere.
    expectError(await signIn(user.username, user.password, randomIp()), 429, 'too_many_attempts');
  });
});

describe('requests per minute, by role', () => {
  it(`cuts a visitor off after ${REQUESTS_PER_MINUTE.guest} requests a minute, per address`, async () => {
    const visitor = randomIp();
    const logout = (remoteAddress: string, cookie?: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', remoteAddress, headers: cookie ? { cookie } : {} });

    for (let i = 0; i < REQUESTS_PER_MINUTE.guest; i++) {
      const response = await logout(visitor);
      if (response.statusCode !== 200) expect.fail(`request ${i + 1} got ${response.statusCode}: ${response.body}`);
    }
    const cut = await logout(visitor);
    expectError(cut, 429, 'rate_limited');
    expect(Number(cut.headers['retry-after'])).toBeGreaterThan(0);
    expect(cut.headers['x-ratelimit-limit']).toBe(String(REQUESTS_PER_MINUTE.guest));

    // Another visitor is not affected, and neither is a signed-in user behind the same address.
    expect((await logout(randomIp())).statusCode).toBe(200);
    const user = await registerUser(t.app);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', remoteAddress: visitor, headers: { cookie: user.cookie } });
    expect(me.statusCode).toBe(200);
  });

  it('gives a signed-in user the room of their role, well past the visitor limit', async () => {
    const user = await registerUser(t.app);
    const address = randomIp();
    for (let i = 0; i < REQUESTS_PER_MINUTE.guest + 10; i++) {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', remoteAddress: address, headers: { cookie: user.cookie } });
      if (response.statusCode !== 200) expect.fail(`request ${i + 1} got ${response.statusCode}: ${response.body}`);
      expect(response.headers['x-ratelimit-limit']).toBe(String(REQUESTS_PER_MINUTE.user));
      expect(response.headers['x-ratelimit-remaining']).toBe(String(REQUESTS_PER_MINUTE.user - i - 1));
    }
  });

  it('raises the limit with the role', async () => {
    for (const role of ['creator', 'admin', 'super_admin'] as const) {
      const user = await registerUser(t.app, role, t.db);
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: user.cookie } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-ratelimit-limit'], role).toBe(String(REQUESTS_PER_MINUTE[role]));
    }
    expect(REQUESTS_PER_MINUTE.user).toBeGreaterThan(REQUESTS_PER_MINUTE.guest);
  });

  it('never limits health checks and metrics', async () => {
    const probe = randomIp();
    for (const url of ['/healthz', '/readyz', '/metrics']) {
      for (let i = 0; i < REQUESTS_PER_MINUTE.guest + 5; i++) {
        const response = await t.app.inject({ method: 'GET', url, remoteAddress: probe });
        if (response.statusCode !== 200) expect.fail(`${url} request ${i + 1} got ${response.statusCode}`);
        expect(response.headers['x-ratelimit-limit']).toBeUndefined();
      }
    }
  });
});
