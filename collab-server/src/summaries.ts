// A comic's summary and thumbnail, derived from its encoded document in a worker thread: for a real comic
// that takes milliseconds (every record is read and migrated), which on the event loop would hold back every
// edit relayed meanwhile, on every store.
import { Worker } from 'node:worker_threads';
import type { DocumentWrite } from './comic-store.ts';

export type Derived = NonNullable<DocumentWrite['derived']>;

export interface Summaries {
  /** Rejects when the document cannot be read (written by a newer canvas, say). */
  derive(state: Uint8Array): Promise<Derived>;
  close(): Promise<void>;
}

type Answer = { id: number; derived: Derived } | { id: number; error: string };

/** The worker starts with the first store (not with the server, whose start it would slow down). */
export function createSummaries(): Summaries {
  let worker: Worker | undefined;
  let next = 0;
  const waiting = new Map<number, { resolve: (derived: Derived) => void; reject: (error: Error) => void }>();

  function start(): Worker {
    const started = new Worker(new URL('./summary-worker.ts', import.meta.url));
    // A store waiting for its summary keeps nothing else alive.
    started.unref();
    started.on('message', (answer: Answer) => {
      const waiter = waiting.get(answer.id);
      waiting.delete(answer.id);
      if ('error' in answer) waiter?.reject(new Error(answer.error));
      else waiter?.resolve(answer.derived);
    });
    // A worker that died takes its questions with it; the next one starts afresh.
    const fail = (error: Error) => {
      if (worker === started) worker = undefined;
      for (const waiter of waiting.values()) waiter.reject(error);
      waiting.clear();
    };
    started.on('error', fail);
    started.on('exit', (code) => fail(new Error(`the summary worker exited (${code})`)));
    return started;
  }

  return {
    derive(state) {
      worker ??= start();
      const id = next++;
      const answer = new Promise<Derived>((resolve, reject) => waiting.set(id, { resolve, reject }));
      worker.postMessage({ id, state });
      return answer;
    },
    async close() {
      await worker?.terminate();
      worker = undefined;
    },
  };
}
