// Parsing ComfyUI's websocket messages into ComfyEvent: JSON text messages `{type, data}` and binary frames
// (`[u32 type]…`, big-endian). A message of a known type whose data does not have the expected shape is
// kept as `unknown` rather than trusted.
import type { ComfyEvent, PreviewMetadata } from './types.ts';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): v is string => typeof v === 'string';
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const strOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

/** What each known message must carry to be accepted as that type. */
const SHAPES: Record<string, (d: Obj) => boolean> = {
  status: (d) => isObj(d.status) && isObj(d.status.exec_info) && num(d.status.exec_info.queue_remaining),
  feature_flags: () => true,
  execution_start: (d) => str(d.prompt_id),
  execution_cached: (d) => str(d.prompt_id) && Array.isArray(d.nodes),
  progress_state: (d) => str(d.prompt_id) && isObj(d.nodes),
  executing: (d) => strOrNull(d.node) && (d.prompt_id === undefined || strOrNull(d.prompt_id)),
  progress: (d) => num(d.value) && num(d.max),
  executed: (d) => str(d.node) && str(d.prompt_id) && (d.output === null || isObj(d.output)),
  execution_success: (d) => str(d.prompt_id),
  execution_error: (d) => str(d.prompt_id) && str(d.node_id),
  execution_interrupted: (d) => str(d.prompt_id),
};

export function parseTextMessage(text: string): ComfyEvent {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { type: 'unknown', messageType: 'invalid_json', data: text };
  }
  if (!isObj(msg) || !str(msg.type)) return { type: 'unknown', messageType: 'invalid', data: msg };
  const shape = SHAPES[msg.type];
  if (!shape || !isObj(msg.data) || !shape(msg.data)) return { type: 'unknown', messageType: msg.type, data: msg.data };
  const data = msg.data;
  if (msg.type === 'progress') {
    // Progress sent outside a prompt (no prompt id) still parses; the fields are normalised to null.
    return { type: 'progress', data: { value: data.value as number, max: data.max as number, prompt_id: str(data.prompt_id) ? data.prompt_id : null, node: str(data.node) ? data.node : null } };
  }
  if (msg.type === 'execution_error' || msg.type === 'execution_interrupted') {
    data.executed = Array.isArray(data.executed) ? data.executed.map(String) : [];
  }
  return { type: msg.type, data } as ComfyEvent;
}

const MIME_BY_FORMAT: Record<number, string> = { 1: 'image/jpeg', 2: 'image/png' };

function toUint8(buf: ArrayBuffer | Uint8Array | Buffer[]): Uint8Array {
  if (Array.isArray(buf)) {
    const total = buf.reduce((n, b) => n + b.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const b of buf) {
      out.set(b, o);
      o += b.length;
    }
    return out;
  }
  return buf instanceof Uint8Array ? buf : new Uint8Array(buf);
}

/** Parses a binary frame: 1 (preview), 4 (preview with metadata), 3 (text); others are `unknown`. */
export function parseBinaryMessage(raw: ArrayBuffer | Uint8Array | Buffer[]): ComfyEvent {
  const bytes = toUint8(raw);
  if (bytes.length < 4) return { type: 'unknown', messageType: 'binary', data: bytes };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = view.getUint32(0, false);
  if (kind === 1 && bytes.length >= 8) {
    const format = view.getUint32(4, false);
    return { type: 'preview', binaryType: 1, mimeType: MIME_BY_FORMAT[format] ?? 'application/octet-stream', image: bytes.subarray(8) };
  }
  if (kind === 4 && bytes.length >= 8) {
    const length = view.getUint32(4, false);
    if (8 + length <= bytes.length) {
      try {
        const metadata = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as PreviewMetadata;
        if (isObj(metadata)) {
          return { type: 'preview', binaryType: 4, mimeType: str(metadata.image_type) ? metadata.image_type : 'image/jpeg', image: bytes.subarray(8 + length), metadata };
        }
      } catch {
        // fall through to unknown
      }
    }
  }
  if (kind === 3 && bytes.length >= 8) {
    const length = view.getUint32(4, false);
    if (8 + length <= bytes.length) {
      const decoder = new TextDecoder();
      return { type: 'text', nodeId: decoder.decode(bytes.subarray(8, 8 + length)), text: decoder.decode(bytes.subarray(8 + length)) };
    }
  }
  return { type: 'unknown', messageType: kind, data: bytes.subarray(4) };
}

/** The prompt a message belongs to, when it says. */
export function promptIdOf(event: ComfyEvent): string | undefined {
  switch (event.type) {
    case 'execution_start':
    case 'execution_cached':
    case 'progress_state':
    case 'executed':
    case 'execution_success':
    case 'execution_error':
    case 'execution_interrupted':
      return event.data.prompt_id;
    case 'executing':
      return event.data.prompt_id ?? undefined;
    case 'progress':
      return event.data.prompt_id ?? undefined;
    case 'preview':
      return event.metadata?.prompt_id;
    default:
      return undefined;
  }
}
