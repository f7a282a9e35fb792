// ComfyUI's wire formats (0.8.0), as recorded from a real server (gpu-worker/test/fixtures/comfyui/): the API-format graph,
// the websocket messages, /history entries, /queue rows, error bodies and the node catalogue.

/** A link from another node's output: `[node id, output index]`. */
export type ComfyLink = [nodeId: string, outputIndex: number];

export interface ComfyNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
}

/** A workflow in API format: node id → node. */
export type ComfyGraph = Record<string, ComfyNode>;

/** One entry of an error body: `{type, message, details, extra_info}`. */
export interface ComfyErrorDetail {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface ComfyNodeError {
  errors: ComfyErrorDetail[];
  dependent_outputs: string[];
  class_type: string;
}

/** POST /prompt's answer to a bad graph (HTTP 400). */
export interface ComfyPromptErrorBody {
  error: ComfyErrorDetail;
  node_errors: Record<string, ComfyNodeError>;
}

/** A file a node wrote, as `executed` and /history report it and /view serves it. */
export interface ComfyFileRef {
  filename: string;
  subfolder: string;
  type: 'output' | 'temp' | 'input' | string;
  [key: string]: unknown;
}

/** A node's UI output: `{images: [...]}`, `{images, animated: [true]}` (animations, videos), `{gifs: [...]}`, `{text: [...]}`… */
export interface ComfyNodeOutput {
  images?: ComfyFileRef[];
  gifs?: ComfyFileRef[];
  audio?: ComfyFileRef[];
  animated?: boolean[];
  text?: string[];
  [key: string]: unknown;
}

export interface ExecutionErrorData {
  prompt_id: string;
  node_id: string;
  node_type: string;
  executed: string[];
  exception_message: string;
  exception_type: string;
  traceback: string[];
  current_inputs: Record<string, unknown> | unknown[];
  current_outputs: unknown;
  timestamp?: number;
}

export interface ExecutionInterruptedData {
  prompt_id: string;
  node_id: string;
  node_type: string;
  executed: string[];
  timestamp?: number;
}

export interface NodeProgressState {
  value: number;
  max: number;
  state: 'pending' | 'running' | 'finished' | 'error' | string;
  node_id: string;
  prompt_id: string;
  display_node_id: string;
  parent_node_id: string | null;
  real_node_id: string;
}

export interface PreviewMetadata {
  node_id: string;
  prompt_id: string;
  display_node_id?: string;
  parent_node_id?: string | null;
  real_node_id?: string;
  image_type?: string;
  [key: string]: unknown;
}

/** Every websocket message, text or binary, as a discriminated union on `type`. */
export type ComfyEvent =
  | { type: 'status'; data: { status: { exec_info: { queue_remaining: number } }; sid?: string } }
  | { type: 'feature_flags'; data: Record<string, unknown> }
  | { type: 'execution_start'; data: { prompt_id: string; timestamp?: number } }
  | { type: 'execution_cached'; data: { nodes: string[]; prompt_id: string; timestamp?: number } }
  | { type: 'progress_state'; data: { prompt_id: string; nodes: Record<string, NodeProgressState> } }
  /** `node: null` ends a prompt; after a reconnect ComfyUI sends `{node}` alone for the node running. */
  | { type: 'executing'; data: { node: string | null; display_node?: string; prompt_id?: string } }
  | { type: 'progress'; data: { value: number; max: number; prompt_id: string | null; node: string | null } }
  | { type: 'executed'; data: { node: string; display_node?: string; output: ComfyNodeOutput | null; prompt_id: string } }
  | { type: 'execution_success'; data: { prompt_id: string; timestamp?: number } }
  | { type: 'execution_error'; data: ExecutionErrorData }
  | { type: 'execution_interrupted'; data: ExecutionInterruptedData }
  /**
   * A latent preview: binary type 1 (`[u32 1][u32 format][image]`, format 1 JPEG / 2 PNG) or type 4
   * (`[u32 4][u32 length][JSON metadata][image]`), both big-endian. Type 1 carries no prompt id.
   */
  | { type: 'preview'; binaryType: 1 | 4; mimeType: string; image: Uint8Array; metadata?: PreviewMetadata }
  /** Binary type 3: text streamed by a node (`[u32 3][u32 id length][node id][text]`). */
  | { type: 'text'; nodeId: string; text: string }
  /** Any other message, kept as received. */
  | { type: 'unknown'; messageType: string | number; data: unknown };

export type ComfyEventType = ComfyEvent['type'];

/** The client's own events about its websocket, delivered with ComfyUI's. */
export type ComfyConnectionEvent =
  | { type: 'connection'; state: 'open'; sid: string; reconnected: boolean }
  | { type: 'connection'; state: 'closed'; code: number; reason: string; willReconnect: boolean };

export type ComfyClientEvent = ComfyEvent | ComfyConnectionEvent;

export interface HistoryStatus {
  status_str: 'success' | 'error' | string;
  completed: boolean;
  messages: Array<[string, Record<string, unknown>]>;
}

/** GET /history/{id}: `prompt` is `[number, prompt_id, graph, extra_data, outputs_to_execute]`. */
export interface HistoryEntry {
  prompt: [number, string, ComfyGraph, Record<string, unknown>, string[]];
  outputs: Record<string, ComfyNodeOutput>;
  status?: HistoryStatus;
  meta?: Record<string, unknown>;
}

export interface QueueEntry {
  number: number;
  promptId: string;
  graph: ComfyGraph;
  extraData: Record<string, unknown>;
  outputsToExecute: string[];
}

export interface QueueState {
  running: QueueEntry[];
  pending: QueueEntry[];
}

export interface SystemStats {
  system: { os: string; comfyui_version?: string; python_version?: string; pytorch_version?: string; ram_total?: number; ram_free?: number; argv?: string[]; [key: string]: unknown };
  devices: Array<{ name: string; type: string; index: number; vram_total: number; vram_free: number; torch_vram_total: number; torch_vram_free: number }>;
}

/** `[type, options]` per input; `type` is a list of choices for an old-style combo. */
export type ComfyInputSpec = [type: string | unknown[], options?: Record<string, unknown>] | [type: string | unknown[]];

export interface ComfyNodeDef {
  input: { required?: Record<string, ComfyInputSpec>; optional?: Record<string, ComfyInputSpec>; hidden?: Record<string, unknown> };
  input_order?: { required?: string[]; optional?: string[]; hidden?: string[] };
  output: string[];
  output_node: boolean;
  name: string;
  category: string;
  [key: string]: unknown;
}

/** GET /object_info: class name → definition. */
export type ObjectInfo = Record<string, ComfyNodeDef>;
