import { type Document, OutgoingMessage } from '@hocuspocus/server';
import * as decoding from 'lib0/decoding';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { createFirstSync, createSocketFirstSteps } from './first-sync.ts';

const name = 'comic:0b6a4e8e-6f1d-4c7e-9d55-2f1c1d8f0a11';

/** A client's first sync step for `address`, from a document holding what `doc` holds. */
const firstStep = (address: string, doc = new Y.Doc()) => new OutgoingMessage(address).createSyncMessage().writeFirstSyncStepFor(doc as Document).toUint8Array();

/** The address and the state of a second sync step. */
function secondStep(message: Uint8Array): { address: string; state: Uint8Array } {
  const decoder = decoding.createDecoder(message);
  const address = decoding.readVarString(decoder);
  expect([decoding.readVarUint(decoder), decoding.readVarUint(decoder)]).toEqual([0, 1]);
  return { address, state: decoding.readVarUint8Array(decoder) };
}

describe('answering a first sync step while its document loads', () => {
  afterEach(() => void vi.useRealTimers());

  it('sends the stored state to the steps of that document whose sender holds nothing, each once', () => {
    const sent: Uint8Array[] = [];
    const steps = createSocketFirstSteps(async (message) => void sent.push(message));
    const holding = new Y.Doc();
    holding.getMap('records').set('shape:a', { id: 'shape:a' });
    steps.note(firstStep(name));
    steps.note(firstStep(`${name}\0tab-2`));
    steps.note(firstStep('comic:another'));
    steps.note(firstStep(`${name}\0holding`, holding));
    steps.note(new OutgoingMessage(name).writeSyncStatus(true).toUint8Array());

    const state = new Uint8Array([1, 2, 3]);
    void steps.answerEarly(name, state);
    void steps.answerEarly(name, state);
    expect(sent.map(secondStep)).toEqual([
      { address: name, state },
      { address: `${name}\0tab-2`, state },
    ]);
    expect(steps.joined(name)).toBe(state);
    expect(steps.joined(name)).toBeUndefined();
    expect(steps.joined(`${name}\0holding`)).toBeUndefined();
  });

  it('lets the load go on after a second when the socket does not take the state', async () => {
    vi.useFakeTimers();
    const steps = createSocketFirstSteps(() => new Promise<void>(() => {}));
    steps.note(firstStep(name));
    let done = false;
    void createFirstSync({ pristineState: () => undefined })
      .answerEarly(name, { firstSteps: steps }, new Uint8Array([1]))
      .then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  });
});
