import { z } from 'zod';

/**
 * The LOG_LEVEL every service accepts: pino's levels, which the API's logger (Fastify's pino) understands
 * as they are, and which the collab-server and the worker rank the same way.
 */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const logLevelEnv = z.enum(LOG_LEVELS).default('info');

/** Whether an event at `event` is written when the service runs at `threshold`. */
export function logs(threshold: LogLevel, event: Exclude<LogLevel, 'silent'>): boolean {
  return LOG_LEVELS.indexOf(event) >= LOG_LEVELS.indexOf(threshold);
}
