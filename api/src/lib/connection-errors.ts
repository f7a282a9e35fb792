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
