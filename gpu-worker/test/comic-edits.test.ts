// How the gpu-worker hears that its picture is in the panel: from the comic-edits queue's events, and for a
// job run before, from the edit's state (its earlier attempt may have had it applied already, and an edit
// applied once sends no event again). Real BullMQ on Redis; a plain BullMQ worker takes the collab-server's
// part of the queue protocol: it completes the edit.
import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { COMIC_EDITS_QUEUE, type ComicEditJobData, type ReportedComicEdit, redisNames } from '@inkwell/workflows';
import { createComicEdits } from '../src/worker/comic-edits.ts';

const prefix = redisNames(`inkwell-test:${randomBytes(6).toString('hex')}:`).bull;
const connections: Redis[] = [];
const connection = () => {
  const made = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
  connections.push(made);
  return made;
};
let queue: Queue<ComicEditJobData>;
let events: QueueEvents;

beforeAll(async () => {
  queue = new Queue(COMIC_EDITS_QUEUE, { connection: connection(), prefix });
  events = new QueueEvents(COMIC_EDITS_QUEUE, { connection: connection(), prefix });
  await events.waitUntilReady();
});
afterAll(async () => {
  await events.close();
  await queue.close();
  for (const made of connections) made.disconnect();
});

const picture = (): ReportedComicEdit => ({
  kind: 'insert-image',
  jobId: crypto.randomUUID(),
  comicId: crypto.randomUUID(),
  panelId: 'shape:panel1',
  mediaId: crypto.randomUUID(),
  width: 512,
  height: 384,
});

/** A collab-server's intake of edits while `run` runs: each edit taken is completed (applied and stored). */
async function withCollabServer<T>(run: () => Promise<T>): Promise<T> {
  const intake = new Worker<ComicEditJobData>(COMIC_EDITS_QUEUE, async () => 'applied', { connection: connection(), prefix });
  try {
    return await run();
  } finally {
    await intake.close();
  }
}

it('resolves when a collab-server applies the edit', async () => {
  const edits = createComicEdits({ queue, events, applyTimeoutMs: 10_000 });
  await withCollabServer(() => edits.apply(picture(), { earlierAttempts: false }));
});

it('finds the edit an earlier attempt of the job had applied, and otherwise waits for its word', async () => {
  const edit = picture();
  // The earlier attempt: its edit applied and completed, then it died before completing the job.
  await withCollabServer(() => createComicEdits({ queue, events, applyTimeoutMs: 10_000 }).apply(edit, { earlierAttempts: false }));

  const edits = createComicEdits({ queue, events, applyTimeoutMs: 1_000 });
  // The retry adds the same edit (a no-op: its id is taken), hears nothing, and reads that it is applied.
  await edits.apply(edit, { earlierAttempts: true });
  // A first attempt does not read it (nothing can have added it before): it waits for word, which never comes.
  await expect(edits.apply(edit, { earlierAttempts: false })).rejects.toThrow(/no word within 1000 ms/);
});
