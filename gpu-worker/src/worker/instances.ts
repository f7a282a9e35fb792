import type { ApiGraph } from '@inkwell/workflows';

/** One file a ComfyUI output node saved, as /history and `executed` messages name it. */
export interface FileRef {
  filename: string;
  subfolder: string;
  type: string;
}

/** What the worker needs of a ComfyUI client (gpu-worker/src/comfyui/client.ts implements it). */
export interface ComfyPort {
  submit(graph: ApiGraph, options: { promptId?: string; extraData?: Record<string, unknown> }): Promise<{ promptId: string }>;
  waitForPrompt(
    promptId: string,
    options: {
      onProgress?: (progress: { value: number; max: number; node?: string | null }) => void;
      onPreview?: (image: Uint8Array, mimeType: string) => void;
      signal?: AbortSignal;
    },
  ): Promise<{ outputs: Record<string, { images?: FileRef[] } & Record<string, unknown>> }>;
  view(file: FileRef): Promise<Uint8Array>;
  uploadImage(bytes: Uint8Array, name: string): Promise<string>;
  interrupt(promptId: string): Promise<void>;
  deleteQueued(promptIds: string[]): Promise<void>;
  systemStats(): Promise<unknown>;
  /** GET /object_info: every node class the instance has, with its inputs (model lists included). */
  objectInfo(): Promise<Record<string, unknown>>;
  close(): void;
}

export interface Instance {
  url: string;
  client: ComfyPort;
  /** Prompts this worker has on it now. */
  active: number;
  healthy: boolean;
  /** Node classes or model files a workflow needs that this instance lacks, by workflow id. */
  missing: Map<string, string[]>;
}

export class NoInstanceError extends Error {}

/**
 * The ComfyUI instances this worker feeds. Each takes up to `perInstance` prompts at once (one running,
 * the next already queued), the least busy healthy one first; one that stops answering is left out
 * until a health check finds it again.
 */
export function createInstancePool(opts: {
  urls: string[];
  perInstance: number;
  connect(url: string): ComfyPort;
  onChange?: (instance: Instance) => void;
}) {
  const instances: Instance[] = opts.urls.map((url) => ({ url, client: opts.connect(url), active: 0, healthy: true, missing: new Map() }));

  function setHealthy(instance: Instance, healthy: boolean): void {
    if (instance.healthy === healthy) return;
    instance.healthy = healthy;
    opts.onChange?.(instance);
  }

  return {
    instances,

    /** The instance to run `workflowId` on next, or why there is none. */
    acquire(workflowId: string): Instance {
      const able = instances.filter((i) => !i.missing.get(workflowId)?.length);
      if (able.length === 0) {
        const lacks = [...new Set(instances.flatMap((i) => i.missing.get(workflowId) ?? []))];
        throw new NoInstanceError(`No ComfyUI instance can run ${workflowId}: missing ${lacks.join(', ')}`);
      }
      const candidates = able.filter((i) => i.healthy).sort((a, b) => a.active - b.active);
      const chosen = candidates[0];
      if (!chosen) throw new Error('No ComfyUI instance is reachable right now');
      chosen.active++;
      opts.onChange?.(chosen);
      return chosen;
    },

    release(instance: Instance): void {
      instance.active = Math.max(0, instance.active - 1);
      opts.onChange?.(instance);
    },

    markDown: (instance: Instance) => setHealthy(instance, false),

    /** Asks every instance for its system stats; answers bring an instance back, silence takes it out. */
    async checkHealth(): Promise<void> {
      await Promise.all(
        instances.map(async (instance) => {
          try {
            await instance.client.systemStats();
            setHealthy(instance, true);
          } catch {
            setHealthy(instance, false);
          }
        }),
      );
    },

    /** Records which workflows an instance cannot run (missing nodes or models), from its /object_info. */
    setMissing(instance: Instance, missing: Map<string, string[]>): void {
      instance.missing = missing;
    },

    close(): void {
      for (const instance of instances) instance.client.close();
    },
  };
}

export type InstancePool = ReturnType<typeof createInstancePool>;
