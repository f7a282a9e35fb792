// How a change goes out to the connections of its comic: at once, and to everyone but its sender.
//
// At once: Hocuspocus holds each change until the end of the event-loop turn, to send the changes of one
// turn as one message. Meanwhile the rest of the turn runs first: its hooks for the change (onChange, the
// store's debounce, the acknowledgement), about 0.1 ms of a small team's 0.9 ms from a change's arrival to
// its broadcast. Here the first change of a turn goes out as soon as it is applied; the ones that follow in
// the same turn are still sent together, at its end, so a busy comic is not sent more than twice a turn.
//
// Not to its sender: Hocuspocus sends each change to every connection, the sender's included, whose provider
// already holds it and applies nothing. With the two to ten people most comics have, that echo is a large
// share of what the server writes. The sender is left out only when every change in a message came from that
// one connection. A change whose parts Yjs held back, waiting for what they build on, goes out with the
// change that completes them, whoever sent that one: while Yjs holds anything back, nobody is left out.
import { type Connection, type Document, type Extension, OutgoingMessage, isTransactionOrigin } from '@hocuspocus/server';
import type { Transaction } from 'yjs';

/** What this needs of Hocuspocus' Document beyond its public interface (all private there but `flush`). */
interface Broadcasting {
  broadcast(encode: (address: string) => Uint8Array, filter?: (connection: Connection) => boolean): void;
  broadcastUpdate(update: Uint8Array): void;
  scheduleFlush(): void;
  flush(): void;
}

export function createBroadcast(): Extension {
  return {
    extensionName: 'broadcast',
    async afterLoadDocument({ document }) {
      sendFirstAtOnce(document);
      leaveOutSenders(document);
    },
  };
}

function sendFirstAtOnce(document: Document): void {
  const internals = document as unknown as Broadcasting;
  const scheduleFlush = internals.scheduleFlush.bind(document);
  let sentThisTurn = false;
  internals.scheduleFlush = () => {
    if (sentThisTurn) return scheduleFlush();
    sentThisTurn = true;
    // Queued before any flush the rest of this turn schedules, so that one still runs after it.
    setImmediate(() => (sentThisTurn = false));
    document.flush();
  };
}

function leaveOutSenders(document: Document): void {
  // The one connection every change since the last broadcast came from: undefined while none came, null
  // when they came from several, from the server or another instance, or when Yjs held something back.
  let sender: Connection | null | undefined;
  document.on('beforeTransaction', () => {
    if (document.store.pendingStructs !== null || document.store.pendingDs !== null) sender = null;
  });
  // Yjs announces the end of a transaction before its update, which is broadcast at once.
  document.on('afterTransaction', (transaction: Transaction) => {
    if (!changes(transaction)) return;
    const origin = transaction.origin;
    const from = isTransactionOrigin(origin) && origin.source === 'connection' ? origin.connection : null;
    sender = sender === undefined || sender === from ? from : null;
  });
  const internals = document as unknown as Broadcasting;
  internals.broadcastUpdate = (update) => {
    const leftOut = sender;
    sender = undefined;
    const encode = (address: string) => new OutgoingMessage(address).createSyncMessage().writeUpdate(update).toUint8Array();
    internals.broadcast(encode, leftOut ? (connection) => connection !== leftOut : undefined);
  };
}

/** Whether a transaction changed the document, as Yjs decides whether it makes an update. */
function changes(transaction: Transaction): boolean {
  if (transaction.deleteSet.clients.size > 0) return true;
  for (const [client, clock] of transaction.afterState) if (transaction.beforeState.get(client) !== clock) return true;
  return false;
}
