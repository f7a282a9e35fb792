/** What this needs of an ioredis connection (this package does not depend on ioredis). */
interface Connection {
  status: string;
  once(event: 'ready', listener: () => void): unknown;
}

/**
 * Resolves once `redis` is ready. Not `once(redis, 'ready')`: that rejects on the first connection error,
 * which ioredis retries by itself, and whatever waited on it would then stay refused for good.
 */
export function whenReady(redis: Connection): Promise<void> {
  return redis.status === 'ready' ? Promise.resolve() : new Promise((resolve) => redis.once('ready', () => resolve()));
}

/**
 * Ends a connection for good: QUIT, so that what was sent before is answered first, or, when QUIT is
 * refused because Redis is away, a plain disconnect, which also stops the reconnecting.
 */
export async function quitOrDrop(redis: { quit(): Promise<unknown>; disconnect(): void }): Promise<void> {
  await redis.quit().then(
    () => {},
    () => redis.disconnect(),
  );
}
