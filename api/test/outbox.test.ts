import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { type TestApp, type TestUser, createTestApp, randomIp, registerUser, tokenIn } from './helper.ts';

// No mailer override and no SMTP_URL: mail lands in the development outbox, as in a dev install.
let t: TestApp;
let admin: TestUser;
let superAdmin: TestUser;
let otherAdmin: TestUser;
let plainUser: TestUser;
beforeAll(async () => {
  t = await createTestApp({ smtpUrl: undefined });
  admin = await registerUser(t.app, 'admin', t.db);
  otherAdmin = await registerUser(t.app, 'admin', t.db);
  superAdmin = await registerUser(t.app, 'super_admin', t.db);
  plainUser = await registerUser(t.app);
  for (const user of [admin, otherAdmin, superAdmin, plainUser]) {
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email: user.email }, remoteAddress: randomIp() });
  }
  await t.app.background.settled();
});
afterAll(() => t.close());

async function resetMailSeenBy(reader: TestUser, recipient: TestUser) {
  const response = await t.app.inject({ method: 'GET', url: '/api/v1/admin/outbox?limit=50', headers: { cookie: reader.cookie } });
  expect(response.statusCode).toBe(200);
  const mail = (response.json().data as { recipient: string; subject: string; body: string }[]).find(
    (m) => m.recipient === recipient.email && /reset/i.test(m.subject),
  );
  expect(mail, `reset mail to ${recipient.email}`).toBeDefined();
  return mail!.body;
}

describe('development outbox', () => {
  it('hides the live reset link of a super admin from an admin', async () => {
    const body = await resetMailSeenBy(admin, superAdmin);
    expect(body).toContain('token=[redacted]');
    // The super admin reads their own mail whole: the token exists, the admin just never sees it.
    const token = tokenIn(await resetMailSeenBy(superAdmin, superAdmin));
    expect(body).not.toContain(token);
  });

  it('hides the link of another admin at the same level', async () => {
    expect(await resetMailSeenBy(admin, otherAdmin)).toContain('token=[redacted]');
  });

  it('shows links to lower accounts and to the reader themselves', async () => {
    expect(await resetMailSeenBy(admin, plainUser)).not.toContain('[redacted]');
    expect(await resetMailSeenBy(admin, admin)).not.toContain('[redacted]');
    expect(await resetMailSeenBy(superAdmin, admin)).not.toContain('[redacted]');
  });

  it('is never kept in production: the API refuses to start without SMTP_URL', () => {
    // Everything else production requires is there: only the mail server is missing.
    const env = { ...process.env, NODE_ENV: 'production', SMTP_URL: '', DATA_ENCRYPTION_KEY: `k1:${Buffer.alloc(32, 7).toString('base64')}` };
    expect(() => loadConfig(env)).toThrow(/SMTP_URL is required in production/);
    expect(() => loadConfig({ ...env, SMTP_URL: 'smtp://mail.example.com' })).not.toThrow();
  });
});
