// A change goes to every connection of its comic except the one that sent it. Hocuspocus sends each change
// to all of them, its sender included, whose provider already holds it and applies nothing. With the two to
// ten people most comics have, that echo is a large share of what the server writes, and when the sender
// comes first in the list the others wait for its write.
//
// Hocuspocus merges the changes of one event-loop turn into one message: the sender is left out only when
// every change in it came from that one connection. A change whose parts Yjs held back, waiting for what
// they build on, goes out with the change that completes them, whoever sent that one: while Yjs holds
// anything back, nobody is left out.
import { type Connection, type Document, type Extension, OutgoingMessage, isTransactionOrigin } from '@hocuspocus/server';
import type { Transaction } from 'yjs';

/** What this needs of Hocuspocus' Document beyond its public interface (both are private there). */
interface Broadcasting {
  broadcast(encode: (address: string) => Uint8Array, filter?: (connection: Connection) => boolean): void;
  broadcastUpdate(update: Uint8Array): void;
}

export function createNoEcho(): Extension {
  return {
    extensionName: 'no-echo',
    async afterLoadDocument({ document }) {
      leaveOutSenders(document);
    },
  };
}

function leaveOutSenders(document: Document): void {
  // The one connection every change since the last broadcast came from: undefined while none came, null
  // when they came from several, from the server or another instance, or when Yjs held something back.
  let sender: Connection | null | undefined;
  document.on('beforeTransaction', () => {
    if (document.store.pendingStructs !== null || document.store.pendingDs !== null) sender = null;
  });
  // Yjs announces the end of a transaction before its update, which Hocuspocus may broadcast at once.
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
