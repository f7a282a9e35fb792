// The worker thread of summaries.ts: reads an encoded comic document and answers with its summary, its
// thumbnail and the pictures it holds.
import { parentPort } from 'node:worker_threads';
import * as Y from 'yjs';
import { mediaIdsOf, readRecords, summarizeComic } from './model/index.ts';
import { comicThumbnail } from './thumbnail.ts';

parentPort!.on('message', ({ id, state }: { id: number; state: Uint8Array }) => {
  try {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, state);
    const records = [...readRecords(doc)];
    doc.destroy();
    const panels = summarizeComic(records);
    parentPort!.postMessage({ id, derived: { panels, thumbnailUrl: comicThumbnail(panels), mediaIds: mediaIdsOf(records) } });
  } catch (error) {
    parentPort!.postMessage({ id, error: String(error) });
  }
});
