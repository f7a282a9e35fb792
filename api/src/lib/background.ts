/**
 * Work done after the response is sent (e.g. a mail whose timing must not show in the answer). Shutdown
 * waits for it, so nothing accepted is dropped, and tests can wait for it too.
 */
export function createBackgroundTasks(onError: (error: unknown) => void) {
  const pending = new Set<Promise<void>>();
  return {
    run(task: () => Promise<void>): void {
      const promise = new Promise<void>((resolve) => setImmediate(resolve))
        .then(task)
        .catch(onError)
        .finally(() => pending.delete(promise));
      pending.add(promise);
    },
    async settled(): Promise<void> {
      while (pending.size > 0) await Promise.all(pending);
    },
  };
}

export type BackgroundTasks = ReturnType<typeof createBackgroundTasks>;
