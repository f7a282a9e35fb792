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
 * Runs a BullMQ close, waiting for it only while every one of `connections` is ready. BullMQ's closes first
 * wait for their connections to be ready again, which while Redis is away is never (ioredis does not end a
 * connection that is waiting to reconnect); not waited for, the close stops its loops, and dropping the
 * connections (`quitOrDrop`) ends the rest.
 */
export async function closeUnlessAway(connections: readonly { status: string }[], close: () => Promise<unknown> | undefined): Promise<void> {
  const closing = close();
  if (connections.every((connection) => connection.status === 'ready')) await closing;
  else closing?.catch(() => {});
}

/**
 * Ends a connection for good: QUIT, so that what was sent before is answered first; or, while Redis is
 * away (QUIT would be refused, or queued until it is back), a plain disconnect, which also stops reconnecting.
 */
export async function quitOrDrop(redis: { status: string; quit(): Promise<unknown>; disconnect(): void }): Promise<void> {
  if (redis.status !== 'ready') return redis.disconnect();
  await redis.quit().then(
    () => {},
    () => redis.disconnect(),
  );
}
