// Preloaded into each server the collaboration bench measures memory of (node --expose-gc --import): a GET on
// MEMORY_REPORT_PORT collects garbage first, then answers with what the process holds for its data: the heap
// without compiled code (bytecode and machine code, which the JIT adds as a load warms up, whatever the number
// of documents), and the memory outside the heap (buffers). Resident memory alone also counts a young
// generation that has grown (V8 lets it reach 128 MB here) and the allocator's free lists: what a server keeps
// per document is told apart from those this way.
import { createServer } from 'node:http';
import { getHeapSpaceStatistics } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

const port = Number(process.env.MEMORY_REPORT_PORT);
const collect = globalThis.gc;
/** V8's spaces for compiled code and for the trusted objects that go with it (bytecode arrays among them). */
const CODE_SPACES = new Set(['code_space', 'code_large_object_space', 'trusted_space', 'trusted_large_object_space']);

if (isMainThread && port) {
  if (!collect) throw new Error('memory-report.ts needs node --expose-gc');
  createServer((_request, response) => {
    collect();
    const { heapUsed, external } = process.memoryUsage();
    const code = getHeapSpaceStatistics()
      .filter((space) => CODE_SPACES.has(space.space_name))
      .reduce((sum, space) => sum + space.space_used_size, 0);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: heapUsed - code, external }));
  })
    .listen(port, '127.0.0.1')
    .unref();
}
