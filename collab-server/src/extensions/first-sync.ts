// A comic opened from Postgres is sent to a new client as the very bytes it was stored as, for as long as
// nobody has changed it. Hocuspocus answers a client's first sync step by encoding the whole document
// again, which for a comic of 10 MB keeps this process's one thread busy for 140-310 ms, and the bytes it
// would send describe exactly what the stored ones do (the document was built from them).
//
// Only a client that holds nothing yet (its state vector is empty) is answered here; one that holds part of
// the comic, and every client once the comic has changed, get Hocuspocus' own answer. The messages are
// those Hocuspocus sends, in its order: the server's first sync step, then the second one with the state.
import { type Connection, type Document, type Extension, MessageType, OutgoingMessage } from '@hocuspocus/server';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { addressedDocument, frameOf, readVarUint } from '../message-frame.ts';

/** y-protocols' sync steps. */
const SYNC_STEP_1 = 0;
const SYNC_STEP_2 = 1;

export function createFirstSync(deps: {
  /** The bytes the document was loaded from, when nothing has changed it since (persistence.ts). */
  pristineState(document: Document): Uint8Array | undefined;
}): Extension {
  /**
   * Answers the connection's first sync step itself when it can. Set up as the connection joins its document,
   * before Hocuspocus hands it the messages that arrived while the document loaded (the first step is one).
   */
  function answerFirstSync(connection: Connection): void {
    const handle = connection.handleMessage.bind(connection);
    let synced = false;
    connection.handleMessage = (message) => {
      const step = synced ? null : firstStepIn(message);
      if (!step) return handle(message);
      synced = true;
      const state = deps.pristineState(connection.document);
      // Hocuspocus drops a message addressed to another document (or session of it): so does this.
      if (!state || step.documentName !== connection.document.name || !step.holdsNothing) return handle(message);
      connection.send(new OutgoingMessage(connection.messageAddress).createSyncMessage().writeFirstSyncStepFor(connection.document).toUint8Array());
      connection.send(secondSyncStep(connection.messageAddress, state));
    };
  }

  return {
    extensionName: 'first-sync',
    async afterLoadDocument({ document }) {
      const join = document.addConnection.bind(document);
      document.addConnection = (connection) => {
        answerFirstSync(connection);
        return join(connection);
      };
    },
  };
}

/** The document a first sync step is for, and whether its sender holds nothing; null for any other message. */
function firstStepIn(message: Uint8Array): { documentName: string; holdsNothing: boolean } | null {
  const frame = frameOf(message);
  if (frame.type !== MessageType.Sync) return null;
  const [step, stateVectorStart] = readVarUint(message, frame.bodyStart);
  if (step !== SYNC_STEP_1) return null;
  return { documentName: addressedDocument(message, frame), holdsNothing: isEmptyStateVector(message.subarray(stateVectorStart)) };
}

/**
 * Whether the state vector a first sync step carries is that of an empty document: no client, nothing held.
 * One that cannot be read is left to Hocuspocus, which closes the connection as it does for every such message.
 */
function isEmptyStateVector(body: Uint8Array): boolean {
  try {
    const decoder = decoding.createDecoder(body);
    const stateVector = decoding.readVarUint8Array(decoder);
    return !decoding.hasContent(decoder) && Y.decodeStateVector(stateVector).size === 0;
  } catch {
    return false;
  }
}

/** The second sync step carrying `state` as it is (Hocuspocus' own encodes the document into it). */
function secondSyncStep(address: string, state: Uint8Array): Uint8Array {
  const message = new OutgoingMessage(address).createSyncMessage();
  encoding.writeVarUint(message.encoder, SYNC_STEP_2);
  encoding.writeVarUint8Array(message.encoder, state);
  return message.toUint8Array();
}
