import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import {
  type TestApp,
  type TestUser,
  auditActions,
  captureMailer,
  createTestApp,
  expectError,
  login,
  me,
  randomIp,
  registerUser,
  tokenIn,
  uniqueName,
} from './helper.ts';

const PUBLIC_URL = 'https://inkwell.test';

let t: TestApp;
const mailer = captureMailer();
beforeAll(async () => {
  t = await createTestApp({ publicUrl: PUBLIC_URL }, { mailer });
});
afterAll(() => t.close());

const post = (url: string, payload: object, cookie?: string) =>
  t.app.inject({ method: 'POST', url, payload, remoteAddress: randomIp(), headers: cookie ? { cookie } : {} });
const verifyEmail = (token: string) => post('/api/v1/auth/verify-email', { token });
/** Asks for a reset link and waits for the mail work, which runs after the answer is sent. */
async function requestReset(email: string) {
  const response = await post('/api/v1/auth/password-reset/request', { email });
  await t.app.background.settled();
  return response;
}
const resetPassword = (token: string, password: string) => post('/api/v1/auth/password-reset', { token, password });
const signIn = (loginName: string, password: string) => post('/api/v1/auth/login', { login: loginName, password });

function lastMailTo(user: TestUser) {
  const mails = mailer.to(user.email);
  expect(mails.length, `mail to ${user.email}`).toBeGreaterThan(0);
  return mails.at(-1)!;
}

async function auditRows(userId: string, action: string) {
  return t.db
    .select()
    .from(schema.auditLogs)
    .where(and(eq(schema.auditLogs.resourceId, userId), eq(schema.auditLogs.action, action)));
}

describe('email verification', () => {
  it('registration mails a link that verifies the address, once', async () => {
    const user = await registerUser(t.app);
    expect((await me(t.app, user.cookie)).json().data.emailVerified).toBe(false);

    const mail = lastMailTo(user);
    expect(mail.subject).toMatch(/confirm/i);
    expect(mail.text).toContain(`${PUBLIC_URL}/verify-email?token=`);
    const token = tokenIn(mail.text);

    const response = await verifyEmail(token);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ success: true, data: {} });
    expect((await me(t.app, user.cookie)).json().data.emailVerified).toBe(true);
    expect(await auditActions(t.db, user.id)).toContain('auth.email_verified');

    // The link is spent.
    expectError(await verifyEmail(token), 400, 'invalid_token');
  });

  it('refuses garbage, a forged secret, an expired link and a reset link, without verifying anyone', async () => {
    const user = await registerUser(t.app);
    const token = tokenIn(lastMailTo(user).text);
    const [id] = token.split('.');

    for (const bad of ['garbage-token-value', `${id}.${'b'.repeat(32)}`, 'a'.repeat(20) + '.' + 'b'.repeat(32)]) {
      expectError(await verifyEmail(bad), 400, 'invalid_token');
    }
    expect((await me(t.app, user.cookie)).json().data.emailVerified).toBe(false);

    // Same message for every kind of bad token: nothing to learn by probing.
    const messages = new Set(
      await Promise.all(['garbage-token-value', `${id}.${'c'.repeat(32)}`].map(async (b) => (await verifyEmail(b)).json().error.message)),
    );
    expect(messages.size).toBe(1);

    const other = await registerUser(t.app);
    const otherToken = tokenIn(lastMailTo(other).text);
    await t.db
      .update(schema.emailTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(schema.emailTokens.id, otherToken.split('.')[0]!));
    expectError(await verifyEmail(otherToken), 400, 'invalid_token');
    expect((await me(t.app, other.cookie)).json().data.emailVerified).toBe(false);

    const third = await registerUser(t.app);
    expect((await requestReset(third.email)).statusCode).toBe(202);
    const resetToken = tokenIn(lastMailTo(third).text);
    expectError(await verifyEmail(resetToken), 400, 'invalid_token');
    expect((await me(t.app, third.cookie)).json().data.emailVerified).toBe(false);
  });

  it('sends the link again on request; the new link replaces the old one', async () => {
    const user = await registerUser(t.app);
    const first = tokenIn(lastMailTo(user).text);

    const response = await post('/api/v1/auth/verify-email/request', {}, user.cookie);
    expect(response.statusCode).toBe(202);
    const second = tokenIn(lastMailTo(user).text);
    expect(second).not.toBe(first);

    expectError(await verifyEmail(first), 400, 'invalid_token');
    expect((await verifyEmail(second)).statusCode).toBe(200);
    expect((await me(t.app, user.cookie)).json().data.emailVerified).toBe(true);

    // Once verified, there is nothing to send.
    const again = await post('/api/v1/auth/verify-email/request', {}, user.cookie);
    expectError(again, 409, 'already_verified');
    expect(mailer.to(user.email)).toHaveLength(2);
  });

  it('resending is for signed-in users only', async () => {
    expectError(await post('/api/v1/auth/verify-email/request', {}), 401, 'unauthenticated');
  });
});

describe('password reset', () => {
  it('mails a reset link for a registered address, answering 202', async () => {
    const user = await registerUser(t.app);
    const before = mailer.to(user.email).length;
    // The address is matched whatever its case.
    const response = await requestReset(user.email.toUpperCase());
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ success: true, data: {} });
    const mails = mailer.to(user.email);
    expect(mails).toHaveLength(before + 1);
    expect(mails.at(-1)!.subject).toMatch(/reset/i);
    expect(mails.at(-1)!.text).toContain(`${PUBLIC_URL}/reset-password?token=`);
    expect(await auditRows(user.id, 'auth.password_reset_requested')).toHaveLength(1);
  });

  it('answers an unknown address exactly the same, and mails nothing', async () => {
    const before = mailer.mails.length;
    const email = `${uniqueName('nobody')}@example.com`;
    const response = await requestReset(email);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ success: true, data: {} });
    expect(mailer.to(email)).toHaveLength(0);
    // Other tests in this file run one after another, so nothing else mailed meanwhile.
    expect(mailer.mails.length).toBe(before);
  });

  it('mails nothing to a deactivated account', async () => {
    const user = await registerUser(t.app);
    await t.db.update(schema.users).set({ isActive: false }).where(eq(schema.users.id, user.id));
    const before = mailer.to(user.email).length;
    expect((await requestReset(user.email)).statusCode).toBe(202);
    expect(mailer.to(user.email)).toHaveLength(before);
  });

  it('sets the new password with the mailed token, ends every session, and the token works once', async () => {
    const user = await registerUser(t.app);
    const phone = await login(t.app, user.username, user.password);
    await requestReset(user.email);
    const token = tokenIn(lastMailTo(user).text);
    const newPassword = 'my freshly reset password';

    const response = await resetPassword(token, newPassword);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ success: true, data: {} });

    for (const cookie of [user.cookie, phone]) expectError(await me(t.app, cookie), 401, 'unauthenticated');
    const sessions = await t.db.select().from(schema.userSessions).where(eq(schema.userSessions.userId, user.id));
    expect(sessions).toHaveLength(0);

    expectError(await signIn(user.username, user.password), 401, 'invalid_credentials');
    expect((await signIn(user.username, newPassword)).statusCode).toBe(200);

    // Used once, never again: it cannot set yet another password.
    expectError(await resetPassword(token, 'someone else’s password'), 400, 'invalid_token');
    expectError(await signIn(user.username, 'someone else’s password'), 401, 'invalid_credentials');
    expect((await signIn(user.username, newPassword)).statusCode).toBe(200);

    expect(await auditRows(user.id, 'auth.password_reset_requested')).toHaveLength(1);
    const resets = await auditRows(user.id, 'auth.password_reset');
    expect(resets).toHaveLength(1);
    expect(resets[0]!.userId).toBe(user.id);
  });

  it('refuses a bad, expired or superseded token and leaves the password as it was', async () => {
    const user = await registerUser(t.app);
    await requestReset(user.email);
    const first = tokenIn(lastMailTo(user).text);
    await requestReset(user.email);
    const second = tokenIn(lastMailTo(user).text);

    expectError(await resetPassword(first, 'password from an old link'), 400, 'invalid_token');
    expectError(await resetPassword('not-a-real-token', 'password from a fake link'), 400, 'invalid_token');
    // A verification link is not a reset link.
    expectError(await resetPassword(tokenIn(mailer.to(user.email)[0]!.text), 'password via wrong link'), 400, 'invalid_token');

    await t.db
      .update(schema.emailTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(schema.emailTokens.id, second.split('.')[0]!));
    expectError(await resetPassword(second, 'password from an expired link'), 400, 'invalid_token');

    expect((await me(t.app, user.cookie)).statusCode).toBe(200);
    expect((await signIn(user.username, user.password)).statusCode).toBe(200);
    expect(await auditRows(user.id, 'auth.password_reset')).toHaveLength(0);
  });
});

describe('a forged link', () => {
  it('is refused and does not spend the real link that shares its id', async () => {
    const user = await registerUser(t.app);
    await requestReset(user.email);
    const real = tokenIn(lastMailTo(user).text);
    expectError(await resetPassword(`${real.split('.')[0]}.${'z'.repeat(32)}`, 'password from a forged link'), 400, 'invalid_token');
    expect((await resetPassword(real, 'the password I chose')).statusCode).toBe(200);
    expect((await signIn(user.username, 'the password I chose')).statusCode).toBe(200);
  });
});

describe('the development outbox', () => {
  it('keeps mail in the outbox when no SMTP server is configured, for admins to read', async () => {
    const dev = await createTestApp();
    try {
      const user = await registerUser(dev.app);
      const [row] = await dev.db.select().from(schema.outboxMessages).where(eq(schema.outboxMessages.recipient, user.email));
      expect(row!.subject).toMatch(/confirm/i);
      const token = tokenIn(row!.body);

      const admin = await registerUser(dev.app, 'admin', dev.db);
      // Newest first; other test files mail at the same time, so look through the pages.
      let found = false;
      for (let page = 1; page <= 50 && !found; page++) {
        const outbox = await dev.app.inject({ method: 'GET', url: `/api/v1/admin/outbox?limit=100&page=${page}`, headers: { cookie: admin.cookie } });
        expect(outbox.statusCode, `page ${page}: ${outbox.body}`).toBe(200);
        const messages = outbox.json().data as { recipient: string; body: string }[];
        if (messages.length === 0) break;
        found = messages.some((m) => m.recipient === user.email && m.body.includes(token));
      }
      expect(found).toBe(true);

      const verified = await dev.app.inject({ method: 'POST', url: '/api/v1/auth/verify-email', payload: { token }, remoteAddress: randomIp() });
      expect(verified.statusCode).toBe(200);
      expect((await me(dev.app, user.cookie)).json().data.emailVerified).toBe(true);
    } finally {
      await dev.close();
    }
  });
});
