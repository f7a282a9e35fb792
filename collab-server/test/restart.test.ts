// The server as production runs it (`node collab-server/src/main.ts`), stopped with SIGTERM and killed
// with SIGKILL while clients keep editing: afterwards, every edit any client made is there.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type User, acknowledged, addMember, connect, note, sleep, storedRecords, synced, useStack, waitFor } from './helper.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

const stack = useStack({ collab: false });
let port: number;
let owner: User;
let editor: User;
let running: ChildProcess | undefined;

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port: free } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

async function startServer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      COLLAB_PORT: String(port),
      API_INTERNAL_URL: stack.api.url,
      REDIS_PREFIX: stack.prefix,
      // Production's debounce: what SIGKILL catches mid-way is exactly what the acknowledgements protect.
      COLLAB_STORE_DEBOUNCE_MS: '1000',
      COLLAB_STORE_MAX_DEBOUNCE_MS: '5000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok === true, 'the server to start', 15_000);
  running = child;
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill(signal);
  const [code] = await exited;
  running = undefined;
  return code as number | null;
}

/** A collaborator who keeps adding records every few milliseconds, connected or not, and remembers them. */
function keepEditing(client: Client, name: string) {
  const written: string[] = [];
  const timer = setInterval(() => {
    const id = `shape:${name}-${written.length}`;
    client.records.set(id as never, note(`${name}-${written.length}`, `by ${name}`));
    written.push(id);
  }, 15);
  return {
    written,
    stop: () => clearInterval(timer),
  };
}

/** Someone who makes one edit, sees it acknowledged, and leaves. */
async function editAndLeave(comicId: string, user: User, id: string): Promise<void> {
  const client = connect(`ws://127.0.0.1:${port}/collab`, comicId, { cookie: user.cookie });
  await synced(client);
  client.records.set(`shape:${id}` as never, note(id, 'acknowledged, then left'));
  await acknowledged(client);
  client.close();
}

beforeAll(async () => {
  port = await freePort();
  [owner, editor] = [await stack.signUp(), await stack.signUp()];
});

// Registered after the stack's, so it runs before the stack closes the API (after-hooks run in reverse).
afterAll(async () => {
  if (running) await stop(running, 'SIGKILL');
});

describe('stopping and killing the server while people edit', () => {
  it('loses no edit, acknowledged or not', async () => {
    const comicId = await stack.newComic(owner);
    await addMember(stack.api, owner, comicId, editor, 'editor');
    let server = await startServer();
    const url = `ws://127.0.0.1:${port}/collab`;
    const a = connect(url, comicId, { cookie: owner.cookie });
    const b = connect(url, comicId, { cookie: editor.cookie });
    await Promise.all([synced(a), synced(b)]);
    const editingA = keepEditing(a, 'a');
    const editingB = keepEditing(b, 'b');

    await sleep(300);
    await editAndLeave(comicId, editor, 'left-before-sigterm');
    expect(await stop(server, 'SIGTERM')).toBe(0);
    await sleep(200);
    server = await startServer();
    await Promise.all([synced(a), synced(b)]);

    await sleep(300);
    // Acknowledged means stored: killing the server right after loses nothing, though this client is gone.
    await editAndLeave(comicId, editor, 'left-before-sigkill');
    expect(await stop(server, 'SIGKILL')).toBeNull();
    await sleep(200);
    server = await startServer();
    await Promise.all([synced(a), synced(b)]);
    await sleep(300);

    editingA.stop();
    editingB.stop();
    await Promise.all([acknowledged(a), acknowledged(b)]);
    const everything = [...editingA.written, ...editingB.written, 'shape:left-before-sigterm', 'shape:left-before-sigkill'].sort();
    const keysOf = (records: Iterable<string>) => JSON.stringify([...records].sort());
    // The same number of records is not yet the same records: wait for the same keys.
    await waitFor(() => keysOf(a.records.keys()) === keysOf(everything) && keysOf(b.records.keys()) === keysOf(everything), 'both clients to converge');
    expect(editingA.written.length).toBeGreaterThan(50);
    expect(a.records.toJSON()).toEqual(b.records.toJSON());
    // The provider's count of unacknowledged changes restarts at one on each reconnection, so "none left"
    // can come before the last acknowledgement: wait for the store. An acknowledged edit that was lost (the
    // ones made just before SIGTERM and SIGKILL) never arrives, and fails this.
    await waitFor(async () => keysOf((await storedRecords(comicId)).keys()) === keysOf(everything), 'everything to be stored', 15_000);

    a.close();
    b.close();
    expect(await stop(server, 'SIGTERM')).toBe(0);
  }, 60_000);
});
