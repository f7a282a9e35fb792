// The errors the ComfyUI client throws. Each has a stable `code` to branch on, and a message a person can read
// (node, class, what went wrong) without the raw body.
import type { ComfyErrorDetail, ComfyNodeError, ComfyPromptErrorBody, ExecutionErrorData, ExecutionInterruptedData } from './types.ts';

export type ComfyErrorCode = 'validation' | 'execution' | 'interrupted' | 'prompt_lost' | 'connection' | 'http' | 'closed';

export abstract class ComfyError extends Error {
  abstract readonly code: ComfyErrorCode;
  /** The ComfyUI instance (base URL) the error came from. */
  readonly baseUrl: string;
  constructor(baseUrl: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.baseUrl = baseUrl;
    this.name = new.target.name;
  }
}

/** A route answered with an unexpected HTTP status. */
export class ComfyHttpError extends ComfyError {
  readonly code = 'http';
  readonly status: number;
  readonly body: string;
  readonly route: string;
  constructor(baseUrl: string, route: string, status: number, body: string) {
    super(baseUrl, `ComfyUI ${route} answered HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ''}`);
    this.route = route;
    this.status = status;
    this.body = body;
  }
}

function describeNodeError(id: string, entry: ComfyNodeError): string {
  const what = entry.errors.map((e) => (e.details ? `${e.message} (${e.details})` : e.message)).join('; ');
  return `node ${id} (${entry.class_type}): ${what}`;
}

/** POST /prompt refused the graph (HTTP 400): ComfyUI's error and its errors per node. */
export class ComfyValidationError extends ComfyError {
  readonly code = 'validation';
  readonly status: number;
  /** ComfyUI's `error`: `invalid_prompt`, `prompt_no_outputs`, `prompt_outputs_failed_validation`, `no_prompt`… */
  readonly error: ComfyErrorDetail;
  readonly nodeErrors: Record<string, ComfyNodeError>;
  constructor(baseUrl: string, status: number, body: ComfyPromptErrorBody) {
    const nodes = Object.entries(body.node_errors ?? {}).map(([id, e]) => describeNodeError(id, e));
    const head = body.error.details && body.error.type === 'invalid_prompt' ? `${body.error.message} (${body.error.details})` : body.error.message;
    super(baseUrl, `ComfyUI refused the graph: ${head}${nodes.length > 0 ? ` — ${nodes.join(' | ')}` : ''}`);
    this.status = status;
    this.error = body.error;
    this.nodeErrors = body.node_errors ?? {};
  }
  /** ComfyUI's error type (`prompt_outputs_failed_validation`, …). */
  get type(): string {
    return this.error.type;
  }
}

/** The prompt failed while running (`execution_error`). */
export class ComfyExecutionError extends ComfyError {
  readonly code = 'execution';
  readonly promptId: string;
  readonly nodeId: string;
  readonly nodeType: string;
  readonly exceptionType: string;
  readonly exceptionMessage: string;
  readonly traceback: string[];
  readonly executed: string[];
  readonly data: ExecutionErrorData;
  constructor(baseUrl: string, data: ExecutionErrorData) {
    const firstLine = String(data.exception_message ?? '').trim().split('\n')[0] ?? '';
    const oom = isOutOfMemory(data);
    super(baseUrl, `ComfyUI failed at node ${data.node_id} (${data.node_type}): ${oom ? 'out of GPU memory — ' : ''}${data.exception_type}: ${firstLine}`);
    this.promptId = data.prompt_id;
    this.nodeId = data.node_id;
    this.nodeType = data.node_type;
    this.exceptionType = data.exception_type;
    this.exceptionMessage = String(data.exception_message ?? '');
    this.traceback = Array.isArray(data.traceback) ? data.traceback : [];
    this.executed = data.executed ?? [];
    this.data = data;
  }
  /** torch.OutOfMemoryError (or an "out of memory" message): a smaller size or batch may pass. */
  get isOutOfMemory(): boolean {
    return isOutOfMemory(this.data);
  }
}

function isOutOfMemory(data: Pick<ExecutionErrorData, 'exception_type' | 'exception_message'>): boolean {
  return /OutOfMemoryError/i.test(String(data.exception_type)) || /out of memory/i.test(String(data.exception_message));
}

/** The prompt was interrupted (`execution_interrupted`), by us or by someone else. */
export class ComfyInterruptedError extends ComfyError {
  readonly code = 'interrupted';
  readonly promptId: string;
  readonly nodeId: string | undefined;
  readonly nodeType: string | undefined;
  readonly executed: string[];
  constructor(baseUrl: string, data: Partial<ExecutionInterruptedData> & { prompt_id: string }) {
    super(baseUrl, `ComfyUI interrupted prompt ${data.prompt_id}${data.node_id ? ` at node ${data.node_id} (${data.node_type})` : ''}`);
    this.promptId = data.prompt_id;
    this.nodeId = data.node_id;
    this.nodeType = data.node_type;
    this.executed = data.executed ?? [];
  }
}

/** The prompt is neither queued, running nor in the history: deleted from the queue, or the server restarted. */
export class ComfyPromptLostError extends ComfyError {
  readonly code = 'prompt_lost';
  readonly promptId: string;
  constructor(baseUrl: string, promptId: string, why: string) {
    super(baseUrl, `ComfyUI no longer knows prompt ${promptId}: ${why}`);
    this.promptId = promptId;
  }
}

/** ComfyUI cannot be reached (HTTP failed, or the websocket dropped and did not come back in time). */
export class ComfyConnectionError extends ComfyError {
  readonly code = 'connection';
  constructor(baseUrl: string, message: string, options?: { cause?: unknown }) {
    super(baseUrl, message, options);
  }
}

/** The client was closed while waiting. */
export class ComfyClientClosedError extends ComfyError {
  readonly code = 'closed';
  constructor(baseUrl: string) {
    super(baseUrl, 'the ComfyUI client was closed');
  }
}
