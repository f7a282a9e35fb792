/** One clear sentence for a service that cannot be reached, saying how to provide it. */
export function describeConnectionError(service: 'Postgres' | 'Redis', url: string, error: unknown): string {
  const safeUrl = new URL(url);
  safeUrl.password = safeUrl.password ? '***' : '';
  const reason = (error as { code?: string; message?: string }).code ?? (error as Error).message;
  const variable = service === 'Postgres' ? 'DATABASE_URL' : 'REDIS_URL';
  return (
    `Cannot reach ${service} at ${safeUrl.toString()} (${reason}). ` +
    `Start ${service} on this machine, or point ${variable} at a running server.`
  );
}

/** What a lost or refused database connection looks like: the socket's, postgres.js' and Postgres' own codes. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  '53300', // too many connections
  '57P01', // the server is shutting down
  '57P02', // it crashed
  '57P03', // it is starting up or recovering
]);

/** True when the error (or one it wraps, as drizzle wraps the driver's) says the database cannot be reached. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  }
  return false;
}
