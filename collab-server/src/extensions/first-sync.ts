// A comic opened from Postgres is sent to a new client as the very bytes it was stored as, for as long as
// nobody has changed it. Hocuspocus answers a client's first sync step by encoding the whole document
// again, which for a comic of 10 MB keeps this process's one thread busy for 140-310 ms, and the bytes it
// would send describe exactly what the stored ones do (the document was built from them).
//
// The client that opens a comic nobody has open gets those bytes as soon as they are read, while the
// server builds its own document from them (a third of a second for 10 MB): Hocuspocus holds the client's
// first step until the document is loaded, and would only then answer it. `SocketFirstSteps` notes the
// first steps that wait, and `answerEarly` sends the stored state to them; when the document is ready, the
// client gets the server's own first step, and the state again only if the comic changed meanwhile.
//
// Only a client that holds nothing yet (its state vector is empty) is answered here; one that holds part of
// the comic, and every client once the comic has changed, get Hocuspocus' own answer. The messages are
// those Hocuspocus sends: the server's first sync step and the second one with the state.
import { type Connection, type Document, type Extension, MessageType, OutgoingMessage } from '@hocuspocus/server';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { addressOf, documentOfAddress, frameOf, readVarUint } from '../message-frame.ts';

/** The longest a document's load waits for its stored state to be handed to the client that opened it. */
const SEND_WAIT_MS = 1000;

/** y-protocols' sync steps. */
const SYNC_STEP_1 = 0;
const SYNC_STEP_2 = 1;

/** What the server puts in the context of every connection of a websocket (`handleConnection`'s default context). */
export interface FirstSyncContext {
  firstSteps: SocketFirstSteps;
}

export type SocketFirstSteps = ReturnType<typeof createSocketFirstSteps>;

/**
 * One websocket's first sync steps that hold nothing and wait for their document to load, by address, and
 * the stored states sent to them early. `send` resolves once the message is handed to the socket.
 */
export function createSocketFirstSteps(send: (message: Uint8Array) => Promise<void>) {
  const waiting = new Set<string>();
  const answered = new Map<string, Uint8Array>();
  return {
    /** Sees every message the socket receives, before Hocuspocus does; reads no further than the type of any other. */
    note(message: Uint8Array): void {
      const step = firstStepIn(message);
      if (step?.holdsNothing && !answered.has(step.address)) waiting.add(step.address);
    },

    /** Sends the stored `state` of `documentName` to each first step of it that waits; resolves once it is sent. */
    async answerEarly(documentName: string, state: Uint8Array): Promise<void> {
      const sent: Promise<void>[] = [];
      for (const address of waiting) {
        if (documentOfAddress(address) !== documentName) continue;
        waiting.delete(address);
        answered.set(address, state);
        sent.push(send(secondSyncStep(address, state)));
      }
      await Promise.all(sent);
    },

    /** The state sent early to `address`, if any, now that its connection has joined the document. */
    joined(address: string): Uint8Array | undefined {
      waiting.delete(address);
      const state = answered.get(address);
      answered.delete(address);
      return state;
    },
  };
}

export function createFirstSync(deps: {
  /** The bytes the document was loaded from, when nothing has changed it since (persistence.ts). */
  pristineState(document: Document): Uint8Array | undefined;
}) {
  /**
   * Answers the connection's first sync step itself when it can. Set up as the connection joins its document,
   * before Hocuspocus hands it the messages that arrived while the document loaded (the first step is one).
   */
  function answerFirstSync(connection: Connection): void {
    const handle = connection.handleMessage.bind(connection);
    const firstSteps = (connection.context as Partial<FirstSyncContext> | undefined)?.firstSteps;
    let synced = false;
    connection.handleMessage = (message) => {
      const step = synced ? null : firstStepIn(message);
      if (!step) return handle(message);
      synced = true;
      const sentEarly = firstSteps?.joined(step.address);
      const state = deps.pristineState(connection.document);
      // Hocuspocus drops a message addressed to another document (or session of it): so does this.
      if (!state || step.address !== connection.messageAddress || !step.holdsNothing) return handle(message);
      connection.send(new OutgoingMessage(connection.messageAddress).createSyncMessage().writeFirstSyncStepFor(connection.document).toUint8Array());
      if (sentEarly !== state) connection.send(secondSyncStep(connection.messageAddress, state));
    };
  }

  return {
    extension: {
      extensionName: 'first-sync',
      async afterLoadDocument({ document }) {
        const join = document.addConnection.bind(document);
        document.addConnection = (connection) => {
          answerFirstSync(connection);
          return join(connection);
        };
      },
    } satisfies Extension,

    /**
     * Sends the stored state of a document being loaded to the first steps of `context`'s websocket that wait
     * for it (persistence.ts calls it as it reads the state, before building the document from it). Resolves
     * once the state is handed to the socket, so that it travels while the document is built (otherwise most of
     * it would wait for that), or after SEND_WAIT_MS: a client that reads slowly, or not at all, must not hold
     * the load, which everyone else opening the comic waits for too.
     */
    async answerEarly(documentName: string, context: unknown, state: Uint8Array): Promise<void> {
      const sent = (context as Partial<FirstSyncContext> | undefined)?.firstSteps?.answerEarly(documentName, state);
      if (!sent) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([sent, new Promise((resolve) => (timer = setTimeout(resolve, SEND_WAIT_MS)))]);
      clearTimeout(timer);
    },
  };
}

/** The address a first sync step is for, and whether its sender holds nothing; null for any other message. */
function firstStepIn(message: Uint8Array): { address: string; holdsNothing: boolean } | null {
  const frame = frameOf(message);
  if (frame.type !== MessageType.Sync) return null;
  const [step, stateVectorStart] = readVarUint(message, frame.bodyStart);
  if (step !== SYNC_STEP_1) return null;
  return { address: addressOf(message, frame), holdsNothing: isEmptyStateVector(message.subarray(stateVectorStart)) };
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
