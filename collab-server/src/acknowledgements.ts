// Hocuspocus answers every document update a client sends with a SyncStatus message, "applied" or not;
// the provider counts its unsynced changes down with the "applied" ones. Holding those answers until the
// change is stored makes the client's "everything is saved" true: see the persistence extension.
import type { Writable } from 'node:stream';
import { MessageType, type WebSocketLike } from '@hocuspocus/server';
import { WebSocket } from 'ws';
import { addressedDocument, frameOf, readVarUint } from './message-frame.ts';

/** The document a message acknowledges as applied, or null for any other message: a SyncStatus whose body is 1. */
export function acknowledgedDocument(message: Uint8Array): string | null {
  const frame = frameOf(message);
  if (frame.type !== MessageType.SyncStatus || readVarUint(message, frame.bodyStart)[0] !== 1) return null;
  return addressedDocument(message, frame);
}

/**
 * The socket Hocuspocus writes to: acknowledgements wait for `whenStored`, everything else goes out at once.
 * A store releases every acknowledgement it covers together (one per update since the last store, hundreds
 * on a busy comic): they are written to `socket` (the websocket's TCP socket) corked, in one write.
 */
export function acknowledgeWhenStored(ws: WebSocket, socket: Writable, whenStored: (documentName: string, release: () => void) => void): WebSocketLike {
  let corked = false;
  const acknowledge = (data: Uint8Array) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    ws.send(data);
  };
  return {
    get readyState() {
      return ws.readyState;
    },
    close: (code, reason) => ws.close(code, reason),
    send(data) {
      const documentName = data instanceof Uint8Array ? acknowledgedDocument(data) : null;
      if (documentName === null) return ws.send(data as Uint8Array);
      whenStored(documentName, () => acknowledge(data as Uint8Array));
    },
  };
}
