import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');
const DAY_MS = 24 * 60 * 60 * 1000;

describe('loadConfig', () => {
  it('runs on one machine with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      host: '127.0.0.1',
      port: 4000,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/inkwell',
      redisUrl: 'redis://127.0.0.1:6379',
      publicUrl: 'http://localhost:3000',
      trustProxy: false,
      logLevel: 'info',
      sessionTtlMs: 30 * DAY_MS,
      secureCookies: false,
      smtpUrl: undefined,
      superAdmin: undefined,
      rateLimitEnabled: true,
    });
    expect(config.mailFrom).toMatch(/@/);
    expect(config.redisPrefix).not.toBe('');
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      API_HOST: '0.0.0.0',
      API_PORT: '8080',
      DATABASE_URL: 'postgres://inkwell:pw@db:5432/inkwell',
      REDIS_URL: 'redis://cache:6379/2',
      PUBLIC_URL: 'https://comics.example.org/',
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'warn',
      SESSION_TTL_DAYS: '7',
      SMTP_URL: 'smtp://mail.example.org:587',
      MAIL_FROM: 'Inkwell <hello@example.org>',
      RATE_LIMIT_DISABLED: '1',
      DATA_ENCRYPTION_KEY: `k2:${KEY_B}`,
      DATA_ENCRYPTION_KEYS: `k1:${KEY_A}`,
    });
    expect(config.dataKeys?.current.id).toBe('k2');
    expect(config.dataKeys?.old.map((k) => k.id)).toEqual(['k1']);
    expect(config).toMatchObject({
      env: 'production',
      host: '0.0.0.0',
      port: 8080,
      databaseUrl: 'postgres://inkwell:pw@db:5432/inkwell',
      redisUrl: 'redis://cache:6379/2',
      // Without the trailing slash, so that `${publicUrl}/path` makes one clean link.
      publicUrl: 'https://comics.example.org',
      trustProxy: true,
      logLevel: 'warn',
      sessionTtlMs: 7 * DAY_MS,
      smtpUrl: 'smtp://mail.example.org:587',
      mailFrom: 'Inkwell <hello@example.org>',
      rateLimitEnabled: false,
    });
  });

  it('names every bad variable at once, without echoing their values', () => {
    let error: unknown;
    try {
      loadConfig({
        API_PORT: '70000',
        DATABASE_URL: 'not a url hunter2',
        LOG_LEVEL: 'loud',
        SESSION_TTL_DAYS: '0',
        TRUST_PROXY: 'yes',
        NODE_ENV: 'staging',
        API_HOST: '127.0.0.1',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['API_PORT', 'DATABASE_URL', 'LOG_LEVEL', 'SESSION_TTL_DAYS', 'TRUST_PROXY', 'NODE_ENV']) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('API_HOST');
    expect(message).not.toContain('hunter2');
    // One line per problem, so the operator can fix them all in one go.
    expect(message.split('\n').filter((l) => l.startsWith('  '))).toHaveLength(6);
  });

  it('stops in production without a data encryption key, and refuses a malformed one', () => {
    const production = { NODE_ENV: 'production', SMTP_URL: 'smtp://mail.example.org:587' };
    expect(() => loadConfig(production)).toThrow(/DATA_ENCRYPTION_KEY is required in production/);
    expect(loadConfig({ ...production, DATA_ENCRYPTION_KEYS: `a:${KEY_A},b:${KEY_B}` }).dataKeys?.current.id).toBe('a');
    expect(loadConfig({}).dataKeys).toBeUndefined();
    expect(() => loadConfig({ DATA_ENCRYPTION_KEY: 'k1:c2hvcnQ=' })).toThrow(/not 32 bytes/);
    expect(() => loadConfig({ DATA_ENCRYPTION_KEY: KEY_A })).toThrow(/<id>:<base64 key>/);
    expect(() => loadConfig({ DATA_ENCRYPTION_KEY: 'k1:c2hvcnQ=' })).not.toThrow(/c2hvcnQ/);
  });

  it('refuses a port that is not a number', () => {
    expect(() => loadConfig({ API_PORT: 'eighty' })).toThrow(/API_PORT/);
  });

  it('takes the first super admin only with email, username and password together', () => {
    const all = { SUPERADMIN_EMAIL: 'root@example.org', SUPERADMIN_USERNAME: 'root', SUPERADMIN_PASSWORD: 'a long admin password' };
    expect(loadConfig(all).superAdmin).toEqual({ email: 'root@example.org', username: 'root', password: 'a long admin password' });

    for (const missing of Object.keys(all)) {
      const partial: Record<string, string> = { ...all };
      delete partial[missing];
      expect(() => loadConfig(partial), `without ${missing}`).toThrow(ConfigError);
      expect(() => loadConfig(partial)).toThrow(/SUPERADMIN_EMAIL, SUPERADMIN_USERNAME and SUPERADMIN_PASSWORD/);
    }
    expect(() => loadConfig({ SUPERADMIN_PASSWORD: 'a long admin password' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...all, SUPERADMIN_EMAIL: 'not an email' })).toThrow(/SUPERADMIN_EMAIL/);
  });

  it('turns on secure cookies exactly when the public address is https', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://inkwell.example' }).secureCookies).toBe(true);
    // URL schemes are case-insensitive: an operator typing HTTPS still gets secure cookies.
    expect(loadConfig({ PUBLIC_URL: 'HTTPS://inkwell.example' }).secureCookies).toBe(true);
    expect(loadConfig({ PUBLIC_URL: 'http://inkwell.example' }).secureCookies).toBe(false);
    expect(loadConfig({ PUBLIC_URL: 'http://localhost:3000' }).secureCookies).toBe(false);
    expect(() => loadConfig({ PUBLIC_URL: 'inkwell.example' })).toThrow(/PUBLIC_URL/);
  });
});
