import { z } from 'zod';
import { type LogLevel, logLevelEnv } from '@inkwell/workflows/log-level';

const milliseconds = (fallback: number) => z.coerce.number().int().min(0).max(600_000).default(fallback);
const megabytes = (fallback: number) => z.coerce.number().positive().max(1024).default(fallback);
const MB = 1024 * 1024;

const schema = z.object({
  COLLAB_HOST: z.string().min(1).default('127.0.0.1'),
  COLLAB_PORT: z.coerce.number().int().min(0).max(65_535).default(4100),
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/inkwell'),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z.string().default('inkwell:'),
  API_INTERNAL_URL: z.url().default('http://127.0.0.1:4000'),
  PUBLIC_URL: z.url().default('http://localhost:3000'),
  COLLAB_STORE_DEBOUNCE_MS: milliseconds(1000),
  COLLAB_STORE_MAX_DEBOUNCE_MS: milliseconds(5000),
  COLLAB_SHUTDOWN_TIMEOUT_MS: milliseconds(10_000),
  COLLAB_MAX_MESSAGE_MB: megabytes(4),
  COLLAB_MAX_DOCUMENT_MB: megabytes(16),
  LOG_LEVEL: logLevelEnv,
});

export interface Config {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  databaseUrl: string;
  redisUrl: string;
  /** Prefix of this deployment's Redis keys and channels, shared with the API. */
  redisPrefix: string;
  /** Where the API answers who may open a comic. */
  apiUrl: string;
  /** The site's origin (from PUBLIC_URL): the only `Origin` a websocket handshake may carry. */
  publicOrigin: string;
  store: {
    /** A document is stored this long after its last change… */
    debounceMs: number;
    /** …and at least this often while it keeps changing. */
    maxDebounceMs: number;
    /** A failed store is retried after this, doubling up to `retryMaxMs`. */
    retryBaseMs: number;
    retryMaxMs: number;
  };
  /** How long a graceful shutdown waits for the last stores. */
  shutdownTimeoutMs: number;
  limits: {
    /** A bigger websocket message closes the socket with 1009 (Message Too Big). */
    messageBytes: number;
    /** An update that would make a comic's encoded document bigger is refused. */
    documentBytes: number;
  };
  logLevel: LogLevel;
}

export class ConfigError extends Error {}

/** Reads the environment once, at start, and names every bad variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.COLLAB_STORE_MAX_DEBOUNCE_MS < e.COLLAB_STORE_DEBOUNCE_MS) {
    throw new ConfigError('Invalid configuration:\n  COLLAB_STORE_MAX_DEBOUNCE_MS: must not be below COLLAB_STORE_DEBOUNCE_MS');
  }
  return {
    host: e.COLLAB_HOST,
    port: e.COLLAB_PORT,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    apiUrl: e.API_INTERNAL_URL.replace(/\/$/, ''),
    publicOrigin: new URL(e.PUBLIC_URL).origin,
    store: {
      debounceMs: e.COLLAB_STORE_DEBOUNCE_MS,
      maxDebounceMs: e.COLLAB_STORE_MAX_DEBOUNCE_MS,
      retryBaseMs: 500,
      retryMaxMs: 30_000,
    },
    shutdownTimeoutMs: e.COLLAB_SHUTDOWN_TIMEOUT_MS,
    limits: { messageBytes: Math.round(e.COLLAB_MAX_MESSAGE_MB * MB), documentBytes: Math.round(e.COLLAB_MAX_DOCUMENT_MB * MB) },
    logLevel: e.LOG_LEVEL,
  };
}
