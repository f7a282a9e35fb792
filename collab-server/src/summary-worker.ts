// The worker thread of summaries.ts: reads an encoded comic document and answers with its summary and thumbnail.
import { parentPort } from 'node:worker_threads';
import * as Y from 'yjs';
import { readRecords, summarizeComic } from './model/index.ts';
import { comicThumbnail } from './thumbnail.ts';

parentPort!.on('message', ({ id, state }: { id: number; state: Uint8Array }) => {
  try {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, state);
    const panels = summarizeComic(readRecords(doc));
    doc.destroy();
    parentPort!.postMessage({ id, derived: { panels, thumbnailUrl: comicThumbnail(panels) } });
  } catch (error) {
    parentPort!.postMessage({ id, error: String(error) });
  }
});
