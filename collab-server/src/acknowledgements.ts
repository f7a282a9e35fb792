// Hocuspocus answers every document update a client sends with a SyncStatus message, "applied" or not;
// the provider counts its unsynced changes down with the "applied" ones. Holding those answers until the
// change is stored makes the client's "everything is saved" true: see the persistence extension.
import type { Writable } from 'node:stream';
import { MessageType, type WebSocketLike } from '@hocuspocus/server';
import { WebSocket } from 'ws';
import type { Persistence } from './extensions/persistence.ts';
import { addressOf, documentOfAddress, frameOf, readVarUint } from './message-frame.ts';

/**
 * The address of a message that acknowledges an update as applied (its document, or its document and
 * session), or null for any other message: a SyncStatus whose body is 1.
 */
export function acknowledgedAddress(message: Uint8Array): string | null {
  const frame = frameOf(message);
  if (frame.type !== MessageType.SyncStatus || readVarUint(message, frame.bodyStart)[0] !== 1) return null;
  return addressOf(message, frame);
}

/** The acknowledgements held for one address on one socket: all the same message, one per change. */
interface Held {
  documentName: string;
  message: Uint8Array;
  /**
   * The count of the document's changes when each acknowledged update was applied, oldest first. While it
   * holds any, one release is asked of the persistence extension.
   */
  changes: number[];
}

/**
 * The socket Hocuspocus writes to: acknowledgements wait until the change they answer is stored, everything
 * else goes out at once. A busy comic holds thousands between its stores (one per update, for up to the
 * store's longest debounce): each is held as a number, the change it follows, rather than as a message, a
 * callback and a waiter of its own (a tenth less CPU per update with 500 busy comics). A store releases every
 * acknowledgement it covers together: they are written to `socket` (the websocket's TCP socket) corked, in
 * one write.
 */
export function acknowledgeWhenStored(
  ws: WebSocket,
  socket: Writable,
  stores: Pick<Persistence, 'whenStored' | 'changesMade' | 'changesStored'>,
): WebSocketLike {
  const held = new Map<string, Held>();
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

  /** Releases what the document's stores cover once they do; holds the rest for the next store. */
  function releaseWhenStored(entry: Held): void {
    stores.whenStored(entry.documentName, () => {
      const { documentName, changes } = entry;
      const stored = stores.changesStored(documentName);
      // With nothing left to store, every change this server applied is stored (the document may even have
      // been stored, unloaded and loaded again since, its count starting afresh).
      const covered = stores.changesMade(documentName) === stored ? Infinity : stored;
      let released = 0;
      while (released < changes.length && changes[released]! <= covered) released++;
      changes.splice(0, released);
      for (let i = 0; i < released; i++) acknowledge(entry.message);
      if (changes.length > 0) releaseWhenStored(entry);
    });
  }

  return {
    get readyState() {
      return ws.readyState;
    },
    close: (code, reason) => ws.close(code, reason),
    send(data) {
      const address = data instanceof Uint8Array ? acknowledgedAddress(data) : null;
      if (address === null) return ws.send(data as Uint8Array);
      let entry = held.get(address);
      if (!entry) held.set(address, (entry = { documentName: documentOfAddress(address), message: data as Uint8Array, changes: [] }));
      // The first one held asks for the release; the ones after it wait on the same.
      if (entry.changes.push(stores.changesMade(entry.documentName)) === 1) releaseWhenStored(entry);
    },
  };
}
