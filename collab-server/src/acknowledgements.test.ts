import { Document, OutgoingMessage } from '@hocuspocus/server';
import { describe, expect, it } from 'vitest';
import { acknowledgedAddress } from './acknowledgements.ts';

describe('acknowledgedAddress', () => {
  it('finds the address of an "update applied" answer, and nothing in any other message', () => {
    const name = 'comic:0b6a4e8e-6f1d-4c7e-9d55-2f1c1d8f0a11';
    expect(acknowledgedAddress(new OutgoingMessage(name).writeSyncStatus(true).toUint8Array())).toBe(name);
    expect(acknowledgedAddress(new OutgoingMessage(`${name}\0session`).writeSyncStatus(true).toUint8Array())).toBe(`${name}\0session`);
    expect(acknowledgedAddress(new OutgoingMessage(name).writeSyncStatus(false).toUint8Array())).toBeNull();
    const document = new Document(name);
    expect(acknowledgedAddress(new OutgoingMessage(name).createSyncMessage().writeFirstSyncStepFor(document).toUint8Array())).toBeNull();
    document.destroy();
    expect(acknowledgedAddress(new OutgoingMessage('é'.repeat(200)).writeSyncStatus(true).toUint8Array())).toBe('é'.repeat(200));
    expect(acknowledgedAddress(new Uint8Array([]))).toBeNull();
  });
});
