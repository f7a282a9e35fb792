// Checks every document update a client sends before Hocuspocus applies it: one bad record (an unknown
// shape, a `javascript:` address) would make the comic unopenable for everyone, and one huge update would
// be stored for ever. A refused update is not applied, so it is neither stored, broadcast nor acknowledged.
// The sender is told why with a stateless message {"type":"update-refused","reason","message"}, and its
// document connection is closed: its later updates would build on the refused one, so it must start again
// from the server's state (the canvas asks the person to reload).
import type { Document, Extension } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Logger } from '../logger.ts';
import { InvalidRecordError } from '../model/validation.ts';
import { checkUpdate } from '../update-check.ts';
import type { ConnectionContext } from './auth.ts';

/** y-protocols' sync message types: step 1 only asks for what is missing; step 2 and update carry changes. */
const SYNC_STEP_1 = 0;

/**
 * An update that carries nothing: no structs, no deletions. Every client that opens a comic with nothing of
 * its own (a new tab) answers the server's sync with one: it cannot change the document, and measuring the
 * document's size for it cost a 10 MB comic a third of a second of every cold open.
 */
const isEmptyUpdate = (update: Uint8Array) => update.byteLength === 2 && update[0] === 0 && update[1] === 0;

const REFUSALS = {
  'invalid-update': 4422,
  'document-too-large': 4413,
} as const;
type RefusalReason = keyof typeof REFUSALS;

/** Closes the document connection with `code` and `reason` (Hocuspocus reads both from what a hook throws). */
class RefusedUpdate extends Error {
  readonly code: number;
  readonly reason: RefusalReason;

  constructor(reason: RefusalReason) {
    // No message: Hocuspocus logs hook errors that have one, and this refusal is logged here already.
    super();
    this.reason = reason;
    this.code = REFUSALS[reason];
  }
}

export function createUpdateGuard(deps: { maxDocumentBytes: number; logger: Logger }): Extension<ConnectionContext> {
  const { maxDocumentBytes, logger } = deps;
  /** Each document's encoded size when last measured, plus the updates applied since: never below the truth. */
  const sizes = new WeakMap<Document, number>();

  /** Whether the document with `update` applied would still fit; measured exactly only near the limit. */
  function fits(document: Document, update: Uint8Array): boolean {
    const estimate = sizes.get(document);
    if (estimate !== undefined && estimate + update.byteLength <= maxDocumentBytes) return true;
    const state = Y.encodeStateAsUpdate(document);
    sizes.set(document, state.byteLength);
    // Merging (as long again as the encoding, on a large comic) only when the sum does not settle it.
    if (state.byteLength + update.byteLength <= maxDocumentBytes) return true;
    return Y.mergeUpdates([state, update]).byteLength <= maxDocumentBytes;
  }

  function refusal(document: Document, update: Uint8Array): { reason: RefusalReason; message: string } | null {
    if (!fits(document, update)) {
      return { reason: 'document-too-large', message: `the comic would be larger than the ${formatBytes(maxDocumentBytes)} a comic may hold` };
    }
    try {
      checkUpdate(document, update);
      return null;
    } catch (error) {
      if (error instanceof InvalidRecordError) return { reason: 'invalid-update', message: error.message.slice(0, 500) };
      // What cannot be checked (an update Yjs cannot decode, say) is not applied either.
      logger.warn('could not check an update', { document: document.name, error: String(error) });
      return { reason: 'invalid-update', message: 'the change could not be read' };
    }
  }

  return {
    extensionName: 'update-guard',

    async afterLoadDocument({ document }) {
      document.on('update', (update: Uint8Array) => {
        const size = sizes.get(document);
        if (size !== undefined) sizes.set(document, size + update.byteLength);
      });
    },

    async beforeSync({ connection, document, documentName, context, type, payload }) {
      // A read-only connection's updates are dropped by Hocuspocus anyway.
      if (type === SYNC_STEP_1 || connection.readOnly || isEmptyUpdate(payload)) return;
      const refused = refusal(document, payload);
      if (!refused) return;
      logger.warn('refused an update', { document: documentName, user: context.user.id, ...refused });
      connection.sendStateless(JSON.stringify({ type: 'update-refused', ...refused }));
      throw new RefusedUpdate(refused.reason);
    },
  };
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}
