// What the admin area asks of each ComfyUI instance: /system_stats (GPU, VRAM), /queue (what runs and waits)
// and /object_info (which workflows it can run). Each request has a short time limit, so an instance that
// hangs reads as down instead of holding the page; the node catalogue, large and slow to change, is kept a minute.

export interface ComfyDevice {
  name: string;
  type: string;
  vramTotal: number;
  vramFree: number;
}

export interface ComfyQueue {
  /** Prompt ids in the order ComfyUI runs them. */
  running: string[];
  pending: string[];
}

export interface ComfyProbe {
  systemStats(url: string): Promise<{ devices: ComfyDevice[] }>;
  queue(url: string): Promise<ComfyQueue>;
  objectInfo(url: string): Promise<Record<string, unknown>>;
}

const OBJECT_INFO_TTL_MS = 60_000;

interface RawStats {
  devices?: { name?: unknown; type?: unknown; vram_total?: unknown; vram_free?: unknown }[];
}

/** `[number, prompt_id, graph, extra, outputs]` per queue entry. */
const promptIds = (entries: unknown): string[] =>
  Array.isArray(entries) ? entries.map((e) => (Array.isArray(e) ? String(e[1]) : '')).filter(Boolean) : [];

export function createComfyProbe(opts: { timeoutMs: number; now?: () => number }): ComfyProbe {
  const now = opts.now ?? Date.now;
  const objectInfoCache = new Map<string, { at: number; info: Promise<Record<string, unknown>> }>();

  async function getJson<T>(url: string, path: string): Promise<T> {
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(opts.timeoutMs) });
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
    return (await response.json()) as T;
  }

  return {
    async systemStats(url) {
      const stats = await getJson<RawStats>(url, '/system_stats');
      return {
        devices: (stats.devices ?? []).map((d) => ({
          name: String(d.name ?? ''),
          type: String(d.type ?? ''),
          vramTotal: Number(d.vram_total ?? 0),
          vramFree: Number(d.vram_free ?? 0),
        })),
      };
    },
    async queue(url) {
      const body = await getJson<{ queue_running?: unknown; queue_pending?: unknown }>(url, '/queue');
      return { running: promptIds(body.queue_running), pending: promptIds(body.queue_pending) };
    },
    objectInfo(url) {
      const cached = objectInfoCache.get(url);
      if (cached && now() - cached.at < OBJECT_INFO_TTL_MS) return cached.info;
      const info = getJson<Record<string, unknown>>(url, '/object_info');
      objectInfoCache.set(url, { at: now(), info });
      // A failure is not kept: the next look asks again.
      info.catch(() => objectInfoCache.delete(url));
      return info;
    },
  };
}
