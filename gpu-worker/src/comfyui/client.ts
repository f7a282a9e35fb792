// A typed client for one ComfyUI instance (the sidecar behind a typed client: services never call fetch).
// It puts together the HTTP routes (routes.ts), the websocket's event stream (event-stream.ts) and the life
// of each prompt (prompts.ts): submit a graph, follow it to its end through progress and previews, fetch
// what it wrote, stop it.
import { randomUUID } from 'node:crypto';
import { ComfyClientClosedError } from './errors.ts';
import { createComfyEventStream } from './event-stream.ts';
import { type PromptResult, type WaitOptions, createPromptTracker } from './prompts.ts';
import { type SubmitOptions, type SubmitResult, type UploadOptions, type ViewFile, createComfyRoutes } from './routes.ts';
import type { ComfyGraph, ObjectInfo, SystemStats } from './types.ts';

export * from './errors.ts';
export * from './types.ts';
export { outputFiles, type OutputFile, type PromptPreview, type PromptProgress, type PromptResult, type WaitOptions } from './prompts.ts';
export type { SubmitOptions, SubmitResult } from './routes.ts';

export interface ComfyClientOptions {
  /** http(s)://host:port of the ComfyUI instance. */
  baseUrl: string;
  /** The websocket's client id, also sent as client_id with every prompt. Default: a random one. */
  clientId?: string;
  /** The fetch to use (tests, instrumentation). Default: globalThis.fetch. */
  fetch?: typeof fetch;
  /** Time limit of an HTTP request. Default 30 s (uploads: 2 min). */
  requestTimeoutMs?: number;
  /** Reconnection backoff: first delay and ceiling. Default 250 ms → 5 s. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /**
   * How long the websocket may stay down before whoever waits on it (waitForPrompt, submit) fails with
   * ComfyConnectionError, so that a job can go to another instance. Reconnection goes on after. Default 30 s.
   */
  reconnectGraceMs?: number;
  /** How long submit and waitForPrompt wait for the websocket to open before failing. Default 10 s. */
  connectTimeoutMs?: number;
  /** Ask for previews with metadata (binary type 4, which carry the prompt id). Default true. */
  previewMetadata?: boolean;
  logger?: { warn: (message: string) => void; debug?: (message: string) => void };
}

export interface ComfyClient {
  /** Queues a graph, the websocket open first so that none of its events is missed. */
  submit(graph: ComfyGraph, options?: SubmitOptions): Promise<SubmitResult>;
  /**
   * Follows a prompt to its end and resolves with its outputs and files. Rejects with ComfyExecutionError,
   * ComfyInterruptedError, ComfyPromptLostError (deleted from the queue, or the server restarted),
   * ComfyConnectionError (the websocket stayed down past reconnectGraceMs), or the signal's reason.
   */
  waitForPrompt(promptId: string, options?: WaitOptions): Promise<PromptResult>;
  view(file: ViewFile): Promise<Uint8Array>;
  /** The value to give a LoadImage `image` input (ComfyUI may rename the file: `name (1).png`). */
  uploadImage(bytes: Uint8Array, name: string, options?: UploadOptions): Promise<string>;
  /** Interrupts `promptId` if it is the one running (no effect otherwise). */
  interrupt(promptId: string): Promise<void>;
  /** Removes prompts that have not started yet (a running one is not touched: interrupt it). */
  deleteQueued(promptIds: string[]): Promise<void>;
  objectInfo(nodeClass?: string): Promise<ObjectInfo>;
  systemStats(): Promise<SystemStats>;
  close(): Promise<void>;
}

export function createComfyClient(options: ComfyClientOptions): ComfyClient {
  const clientId = options.clientId ?? randomUUID().replaceAll('-', '');
  const routes = createComfyRoutes(options);
  const { baseUrl } = routes;
  const prompts = createPromptTracker({ baseUrl, routes, logger: options.logger });
  const stream = createComfyEventStream({
    baseUrl,
    clientId,
    reconnect: options.reconnect,
    graceMs: options.reconnectGraceMs ?? 30_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    previewMetadata: options.previewMetadata ?? true,
    onDown: (error) => prompts.failAll(error),
    logger: options.logger,
  });
  stream.subscribe(prompts.onEvent);

  return {
    async submit(graph, submitOptions = {}) {
      await stream.connect();
      if (submitOptions.promptId !== undefined) prompts.forget(submitOptions.promptId);
      const epoch = stream.epoch;
      const submitted = await routes.prompt(graph, clientId, submitOptions);
      // Events of this prompt reached this socket only if it stayed open meanwhile; waitForPrompt checks that.
      if (stream.open && stream.epoch === epoch) prompts.submittedLive(submitted.promptId, epoch);
      return submitted;
    },

    async waitForPrompt(promptId, waitOptions = {}) {
      waitOptions.signal?.throwIfAborted();
      await stream.connect();
      waitOptions.signal?.throwIfAborted();
      return prompts.wait(promptId, waitOptions, stream.epoch);
    },

    view: routes.view,
    uploadImage: routes.uploadImage,
    interrupt: routes.interrupt,
    deleteQueued: routes.deleteQueued,
    objectInfo: routes.objectInfo,
    systemStats: routes.systemStats,

    async close() {
      const error = new ComfyClientClosedError(baseUrl);
      prompts.close(error);
      await stream.close(error);
    },
  };
}
