// The frame of every Hocuspocus message, read straight from its bytes: the address (a lib0 varString: byte
// length, UTF-8; `documentName` or `documentName\0session`), the message type (a varUint, Hocuspocus'
// MessageType), then the body. Reading it decodes nothing, so it costs next to nothing on every message.

const utf8 = new TextDecoder();

export interface MessageFrame {
  /** Where the address's UTF-8 bytes start and end. */
  addressStart: number;
  addressEnd: number;
  /** Hocuspocus' MessageType; NaN when the message is too short to say. */
  type: number;
  /** Where the body starts. */
  bodyStart: number;
}

export function frameOf(message: Uint8Array): MessageFrame {
  const [length, addressStart] = readVarUint(message, 0);
  const addressEnd = addressStart + length;
  const [type, bodyStart] = readVarUint(message, addressEnd);
  return { addressStart, addressEnd, type, bodyStart };
}

/** A message's whole address: `documentName`, or `documentName\0session`. */
export function addressOf(message: Uint8Array, frame: MessageFrame = frameOf(message)): string {
  return utf8.decode(message.subarray(frame.addressStart, frame.addressEnd));
}

/** The document of an address: the address without the session, if any. */
export function documentOfAddress(address: string): string {
  return address.split('\0')[0]!;
}

export function readVarUint(bytes: Uint8Array, position: number): [value: number, next: number] {
  let value = 0;
  for (let shift = 0, at = position; at < bytes.length && shift < 35; shift += 7, at++) {
    const byte = bytes[at]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at + 1];
  }
  return [Number.NaN, bytes.length];
}
