import { z } from 'zod';
import { type StorageConfig, storageConfig, storageEnv } from '@inkwell/storage';
import { type LogLevel, logLevelEnv } from '@inkwell/workflows/log-level';
import { type DataKeys, parseDataKeys } from './lib/encryption.ts';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const schema = storageEnv.extend({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/inkwell'),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z.string().min(1).default('inkwell:'),
  PUBLIC_URL: z.url().default('http://localhost:3000'),
  /** `true`, `false`, or which proxies to trust: `loopback`, an address, a CIDR range, a comma-separated list. */
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|((loopback|linklocal|uniquelocal|[0-9a-fA-F:./]+)(\s*,\s*)?)+)$/, 'Use true, false, loopback, or addresses / CIDR ranges separated by commas')
    .default('false'),
  LOG_LEVEL: logLevelEnv,
  SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  SESSION_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  SMTP_URL: z.url().optional(),
  MAIL_FROM: z.string().default('Inkwell <no-reply@localhost>'),
  SUPERADMIN_EMAIL: z.email().optional(),
  SUPERADMIN_USERNAME: z.string().optional(),
  SUPERADMIN_PASSWORD: z.string().optional(),
  RATE_LIMIT_DISABLED: bool.default(false),
  /** Set by `npm start` when generation runs on the ComfyUI simulator, so the site can say so. */
  GENERATION_SIMULATED: bool.default(false),
  MEDIA_MAX_MB: z.coerce.number().int().min(1).max(500).default(20),
  CLAMAV_HOST: z.string().optional(),
  CLAMAV_PORT: z.coerce.number().int().min(1).max(65_535).default(3310),
  /** The ComfyUI instances the admin area watches; `npm start`'s simulator when none is set. */
  COMFYUI_URLS: z
    .string()
    .default('http://127.0.0.1:8188')
    .transform((v) => v.split(',').map((url) => url.trim()).filter(Boolean))
    .pipe(z.array(z.url()).min(1)),
  /** Where the admin area reads the other services' Prometheus metrics. */
  COLLAB_INTERNAL_URL: z.url().default('http://127.0.0.1:4100'),
  WORKER_INTERNAL_URL: z.url().default('http://127.0.0.1:8000'),
  /** `id:base64` of the current data key; DATA_ENCRYPTION_KEYS may list older ones after it (`id:base64,id:base64`). */
  DATA_ENCRYPTION_KEY: z.string().optional(),
  DATA_ENCRYPTION_KEYS: z.string().optional(),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  databaseUrl: string;
  redisUrl: string;
  publicUrl: string;
  trustProxy: boolean | string;
  logLevel: LogLevel;
  /** How long a session lives without use; every use within the second half renews it. */
  sessionTtlMs: number;
  /** How long a validated session may be served from memory; 0 turns the cache off. */
  sessionCacheMs: number;
  /** `__Host-` cookies need https; the site's public address decides. */
  secureCookies: boolean;
  smtpUrl: string | undefined;
  mailFrom: string;
  superAdmin: { email: string; username: string; password: string } | undefined;
  rateLimitEnabled: boolean;
  generationSimulated: boolean;
  storage: StorageConfig;
  maxUploadBytes: number;
  clamd: { host: string; port: number } | undefined;
  /** Prefix of every Redis key this service writes, so tests can run side by side. */
  redisPrefix: string;
  /** ComfyUI addresses, and the collab-server's and gpu-worker's, for the admin area's operations pages. */
  comfyUrls: string[];
  collabUrl: string;
  workerUrl: string;
  /** Keys for sensitive fields at rest; absent only outside production (a throwaway key is used then). */
  dataKeys: DataKeys | undefined;
}

export class ConfigError extends Error {}

/** Reads the environment once, at start, and names every bad variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`SMTP_URL=`) means "not set", as it does in most deployment tools.
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const admin = [e.SUPERADMIN_EMAIL, e.SUPERADMIN_USERNAME, e.SUPERADMIN_PASSWORD];
  if (admin.some(Boolean) && !admin.every(Boolean)) {
    throw new ConfigError(
      'Invalid configuration:\n  SUPERADMIN_EMAIL, SUPERADMIN_USERNAME and SUPERADMIN_PASSWORD go together: set all three or none',
    );
  }
  // The development outbox shows mail to admins; in production mail must leave through SMTP.
  if (e.NODE_ENV === 'production' && !e.SMTP_URL) {
    throw new ConfigError('Invalid configuration:\n  SMTP_URL is required in production: the development mail outbox is never kept there');
  }
  const keyList = [e.DATA_ENCRYPTION_KEY, e.DATA_ENCRYPTION_KEYS].filter(Boolean).join(',');
  const dataKeys = keyList ? parseDataKeys(keyList) : undefined;
  if (typeof dataKeys === 'string') throw new ConfigError(`Invalid configuration:\n  DATA_ENCRYPTION_KEY: ${dataKeys}`);
  if (e.NODE_ENV === 'production' && !dataKeys) {
    throw new ConfigError(
      'Invalid configuration:\n  DATA_ENCRYPTION_KEY is required in production: report details, appeals and moderator notes are stored encrypted with it (generate one: echo "k1:$(openssl rand -base64 32)")',
    );
  }
  const storage = storageConfig(e);
  if (typeof storage === 'string') throw new ConfigError(`Invalid configuration:\n  ${storage}`);
  return {
    env: e.NODE_ENV,
    host: e.API_HOST,
    port: e.API_PORT,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    publicUrl: e.PUBLIC_URL.replace(/\/$/, ''),
    trustProxy: e.TRUST_PROXY === 'true' ? true : e.TRUST_PROXY === 'false' ? false : e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    sessionTtlMs: e.SESSION_TTL_DAYS * 24 * 60 * 60 * 1000,
    sessionCacheMs: e.SESSION_CACHE_SECONDS * 1000,
    secureCookies: new URL(e.PUBLIC_URL).protocol === 'https:',
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    superAdmin: e.SUPERADMIN_EMAIL
      ? { email: e.SUPERADMIN_EMAIL, username: e.SUPERADMIN_USERNAME!, password: e.SUPERADMIN_PASSWORD! }
      : undefined,
    rateLimitEnabled: !e.RATE_LIMIT_DISABLED,
    generationSimulated: e.GENERATION_SIMULATED,
    storage,
    maxUploadBytes: e.MEDIA_MAX_MB * 1024 * 1024,
    clamd: e.CLAMAV_HOST ? { host: e.CLAMAV_HOST, port: e.CLAMAV_PORT } : undefined,
    redisPrefix: e.REDIS_PREFIX,
    comfyUrls: e.COMFYUI_URLS.map((url) => url.replace(/\/$/, '')),
    collabUrl: e.COLLAB_INTERNAL_URL.replace(/\/$/, ''),
    workerUrl: e.WORKER_INTERNAL_URL.replace(/\/$/, ''),
    dataKeys,
  };
}
