import { z } from 'zod';
import { type StorageConfig, storageConfig, storageEnv } from '@inkwell/storage';
import { type LogLevel, logLevelEnv } from '@inkwell/workflows/log-level';

const schema = storageEnv.extend({
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/inkwell'),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z.string().min(1).default('inkwell:'),
  /** Comma-separated ComfyUI addresses; `npm start` points this at the simulator when none is given. */
  COMFYUI_URLS: z.string().default('http://127.0.0.1:8188'),
  WORKER_HOST: z.string().default('127.0.0.1'),
  WORKER_PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
  /** Prompts per ComfyUI instance at once: 2 keeps each GPU busy, the next prompt queued behind the running one. */
  PROMPTS_PER_INSTANCE: z.coerce.number().int().min(1).max(16).default(2),
  JOB_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(7200).default(900),
  /** How long a ComfyUI may stay unreachable mid-job before the job is retried on another instance. */
  COMFYUI_GRACE_SECONDS: z.coerce.number().int().min(1).max(600).default(15),
  /** How soon a job whose worker died is given to another one. */
  STALLED_CHECK_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  LOG_LEVEL: logLevelEnv,
});

export interface Config {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  comfyUrls: string[];
  host: string;
  port: number;
  promptsPerInstance: number;
  jobTimeoutMs: number;
  comfyGraceMs: number;
  stalledIntervalMs: number;
  storage: StorageConfig;
  logLevel: LogLevel;
}

export class ConfigError extends Error {}

/** Reads the environment once, at start, naming every bad variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const e = parsed.data;
  const storage = storageConfig(e);
  if (typeof storage === 'string') throw new ConfigError(`Invalid configuration:\n  ${storage}`);
  const comfyUrls = e.COMFYUI_URLS.split(',').map((u) => u.trim().replace(/\/$/, '')).filter(Boolean);
  const bad = comfyUrls.filter((u) => !URL.canParse(u));
  if (comfyUrls.length === 0 || bad.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  COMFYUI_URLS: give one or more http(s) addresses separated by commas${bad.length ? ` (not an address: ${bad.join(', ')})` : ''}`);
  }
  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    comfyUrls,
    host: e.WORKER_HOST,
    port: e.WORKER_PORT,
    promptsPerInstance: e.PROMPTS_PER_INSTANCE,
    jobTimeoutMs: e.JOB_TIMEOUT_SECONDS * 1000,
    comfyGraceMs: e.COMFYUI_GRACE_SECONDS * 1000,
    stalledIntervalMs: e.STALLED_CHECK_SECONDS * 1000,
    storage,
    logLevel: e.LOG_LEVEL,
  };
}
