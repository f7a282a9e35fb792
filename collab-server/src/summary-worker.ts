// The worker thread of summaries.ts: reads an encoded comic document and answers with its summary, its
// thumbnail and the pictures it holds.
import { parentPort } from 'node:worker_threads';
import * as Y from 'yjs';
import { mediaIdsOf, readRecords, summarizeComic } from './model/index.ts';
import { comicThumbnail } from './thumbnail.ts';

parentPort!.on('message', ({ id, state }: { id: number; state: Uint8Array }) => {
  try {
    // A fixed guid: for a document read once and dropped, Yjs would otherwise draw a random one, 31 calls
    // to the system's random source that took two thirds of the time to summarise a small comic.
    const doc = new Y.Doc({ guid: 'summary' });
    Y.applyUpdate(doc, state);
    const records = [...readRecords(doc)];
    doc.destroy();
    const panels = summarizeComic(records);
    parentPort!.postMessage({ id, derived: { panels, thumbnailUrl: comicThumbnail(panels), mediaIds: mediaIdsOf(records) } });
  } catch (error) {
    parentPort!.postMessage({ id, error: String(error) });
  }
});
