// Preloaded into each server the collaboration bench measures memory of (node --expose-gc --import): a GET on
// MEMORY_REPORT_PORT collects garbage first, then answers with the heap and the memory outside it that the
// process holds. Resident memory alone also counts a young generation that has grown (V8 lets it reach 128 MB
// here) and the allocator's free lists: what a server keeps per document is told apart from those this way.
import { createServer } from 'node:http';
import { isMainThread } from 'node:worker_threads';

const port = Number(process.env.MEMORY_REPORT_PORT);
const collect = globalThis.gc;
if (isMainThread && port) {
  if (!collect) throw new Error('memory-report.ts needs node --expose-gc');
  createServer((_request, response) => {
    collect();
    const { heapUsed, external, rss } = process.memoryUsage();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ heapUsed, external, rss }));
  })
    .listen(port, '127.0.0.1')
    .unref();
}
