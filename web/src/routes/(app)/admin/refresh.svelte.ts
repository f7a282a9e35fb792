/**
 * Keeps an admin page's figures fresh: calls `refresh` every `ms` while the component lives and its tab is
 * shown, never twice at once. Whether the last refresh failed is in `failed`, so the page can say its
 * figures are stale instead of showing old ones as if they were current.
 */
export function refreshEvery(ms: number, refresh: () => Promise<unknown>): { readonly failed: boolean } {
  let failed = $state(false);
  $effect(() => {
    let busy = false;
    const timer = setInterval(async () => {
      if (busy || document.hidden) return;
      busy = true;
      try {
        await refresh();
        failed = false;
      } catch {
        failed = true;
      } finally {
        busy = false;
      }
    }, ms);
    return () => clearInterval(timer);
  });
  return {
    get failed() {
      return failed;
    },
  };
}
