// Keeps the collab-servers that have a comic open in step through Redis. Hocuspocus' Redis extension does
// the rest (the state exchange when a document loads, awareness, stateless relay); what
// changes is how edits travel. Out of the box, every change publishes the document's state vector, and
// every other instance answers with the difference: two hops, and work in the size of the whole document
// on every instance for every change. Here:
// - the updates of one event-loop turn are merged and published as they are, once: peers apply them (one
//   hop, work in the size of the change);
// - nothing is published for a document no other instance has open, neither edits nor awareness (cursors
//   move many times a second). An instance that opens it announces itself with its state vector and asks
//   for awareness (the extension does, on load); that announcement marks the peer, and the answers to it
//   carry everything this instance applied before and everyone's presence, so nothing falls between the two;
// - Redis pub/sub loses what is sent while a connection is down: once reconnected, each open document
//   announces its state vector again, and the answers fill the gap both ways;
// - no Redis lock around stores (two round trips each): the persistence extension's writes name the version
//   they merged, so two instances storing one comic merge instead of overwriting each other.
import { Redis, type Configuration } from '@hocuspocus/extension-redis';
import { type Document, IncomingMessage, OutgoingMessage, type onChangePayload } from '@hocuspocus/server';
import * as Y from 'yjs';

interface Pending {
  document: Document;
  updates: Uint8Array[];
}

export class RedisSync extends Redis {
  /** Documents another instance has open, as far as this one has heard. */
  private readonly shared = new Set<string>();

  private readonly pending = new Map<string, Pending>();

  constructor(configuration: Partial<Configuration>) {
    super(configuration);
    // Wraps the extension's handler: hearing from another instance about a document means it has it open.
    const handle = (this.sub.listeners('messageBuffer') as Array<(channel: Buffer, data: Buffer) => unknown>)[0]!;
    this.sub.off('messageBuffer', handle);
    this.sub.on('messageBuffer', (channel: Buffer, data: Buffer) => {
      const documentName = this.fromPeer(data);
      if (documentName !== null) this.shared.add(documentName);
      return handle(channel, data);
    });
    // The subscriber reconnected (after its first connection): what was published meanwhile is lost. The
    // PING answers once the channels are subscribed again (ioredis resubscribes on the same connection).
    let connected = false;
    this.sub.on('ready', () => {
      if (connected) void this.sub.ping().then(() => this.announceAll(), () => {});
      connected = true;
    });
  }

  /** The document a message of another instance is about (the extension's format: identifier length, identifier, message); null for this one's own. */
  private fromPeer(data: Buffer): string | null {
    const length = data[0]!;
    if (data.toString('utf8', 1, length + 1) === this.configuration.identifier) return null;
    return new IncomingMessage(data.subarray(length + 1)).readVarString();
  }

  override async onChange(data: onChangePayload): Promise<void> {
    const origin = data.transactionOrigin as { source?: string } | null;
    if (origin?.source === 'redis' || !this.shared.has(data.documentName)) return;
    let pending = this.pending.get(data.documentName);
    if (!pending || pending.document !== data.document) {
      pending = { document: data.document, updates: [] };
      this.pending.set(data.documentName, pending);
      setImmediate(() => this.publishUpdates(data.documentName));
    }
    pending.updates.push(data.update);
  }

  override async onAwarenessUpdate(data: Parameters<Redis['onAwarenessUpdate']>[0]): Promise<void> {
    if (this.shared.has(data.documentName)) return super.onAwarenessUpdate(data);
  }

  override async onStoreDocument(): Promise<void> {}

  override async afterUnloadDocument(data: Parameters<Redis['afterUnloadDocument']>[0]): Promise<void> {
    if (!data.instance.documents.has(data.documentName)) {
      this.shared.delete(data.documentName);
      this.pending.delete(data.documentName);
    }
    return super.afterUnloadDocument(data);
  }

  private publishUpdates(documentName: string): void {
    const pending = this.pending.get(documentName);
    this.pending.delete(documentName);
    if (!pending || pending.document.isDestroyed) return;
    const update = pending.updates.length === 1 ? pending.updates[0]! : Y.mergeUpdates(pending.updates);
    const message = new OutgoingMessage(documentName).createSyncMessage().writeUpdate(update).toUint8Array();
    this.publish(documentName, message);
  }

  private announceAll(): void {
    for (const [name, document] of this.instance.documents) {
      this.publish(name, new OutgoingMessage(name).createSyncMessage().writeFirstSyncStepFor(document).toUint8Array());
    }
  }

  private publish(documentName: string, message: Uint8Array): void {
    this.pub.publish(`${this.configuration.prefix}:${documentName}`, Buffer.concat([this.messagePrefix, message])).catch((error: unknown) => {
      console.error(`Redis: failed to publish for document "${documentName}"`, error);
    });
  }
}
