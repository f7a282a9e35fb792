// `npm start`'s path for the live canvas: the front server hands each /collab websocket to the collab-server
// process (collab-server/src/handoff.ts), through the process that started both, as scripts/run-all.ts does.
// Both servers run as their own processes; this test's process relays, with run-all's own code.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type User, acknowledged, connect, handshake, note, storedRecords, synced, useStack, waitFor } from '../collab-server/test/helper.ts';
import { relayHandOffs } from '../collab-server/src/handoff.ts';
import { freePort } from './private-services.ts';

const COLLAB_MAIN = fileURLToPath(new URL('../collab-server/src/main.ts', import.meta.url));
const FRONT = fileURLToPath(new URL('./servers/front.ts', import.meta.url));

const stack = useStack({ collab: false });
let owner: User;
let comicId: string;
const running: ChildProcess[] = [];

beforeAll(async () => {
  owner = await stack.signUp();
  comicId = await stack.newComic(owner);
});
afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
});

interface Site {
  /** The site's own websocket address, as a browser on it opens it. */
  collabUrl: string;
  origin: string;
  /** Where the collab-server listens itself (as nginx reaches it in production). */
  collabPort: number;
  collab: ChildProcess;
  front: ChildProcess;
}

async function ready(url: string): Promise<boolean> {
  return (await fetch(url).catch(() => undefined))?.ok === true;
}

function start(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [entry], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  running.push(child);
  return child;
}

/** The collab-server and the front server, each a process of its own, with this process relaying between them. */
async function startSite(): Promise<Site> {
  const [sitePort, collabPort] = [await freePort(), await freePort()];
  const origin = `http://127.0.0.1:${sitePort}`;
  const collab = start(COLLAB_MAIN, { COLLAB_PORT: String(collabPort), API_INTERNAL_URL: stack.api.url, REDIS_PREFIX: stack.prefix, PUBLIC_URL: origin });
  const front = start(FRONT, { PORT: String(sitePort), API_INTERNAL_URL: stack.api.url, COLLAB_INTERNAL_URL: `http://127.0.0.1:${collabPort}`, COLLAB_HANDOFF: 'ipc' });
  relayHandOffs(front, () => collab);
  await waitFor(() => ready(`http://127.0.0.1:${collabPort}/readyz`), 'the collab-server to start', 15_000);
  await waitFor(() => ready(`${origin}/healthz`), 'the front server to start', 15_000);
  return { collabUrl: `ws://127.0.0.1:${sitePort}/collab`, origin, collabPort, collab, front };
}

describe('a websocket handed off to the collab-server', () => {
  it('carries live edits between collaborators, stores them, and stays open when the front server goes', async () => {
    const site = await startSite();
    const [alice, bob] = [1, 2].map(() => connect(site.collabUrl, comicId, { cookie: owner.cookie, origin: site.origin }));
    try {
      await Promise.all([synced(alice!), synced(bob!)]);
      alice!.records.set('shape:handed-1' as never, note('handed-1', 'through the site'));
      await waitFor(() => bob!.records.has('shape:handed-1' as never), 'the edit to reach the other collaborator');
      await acknowledged(alice!);
      expect((await storedRecords(comicId)).has('shape:handed-1')).toBe(true);

      // The connections are the collab-server's own: the front server stops at once (it holds none of them),
      // and with it gone, nothing relayed breaks.
      site.front.kill('SIGTERM');
      const [code] = await once(site.front, 'exit');
      expect(code).toBe(0);
      alice!.records.set('shape:handed-2' as never, note('handed-2', 'after the front server went'));
      await waitFor(() => bob!.records.has('shape:handed-2' as never), 'the later edit to reach the other collaborator');
      await acknowledged(alice!);
      expect(alice!.provider.isSynced && bob!.provider.isSynced).toBe(true);
      expect((await storedRecords(comicId)).has('shape:handed-2')).toBe(true);
    } finally {
      alice!.close();
      bob!.close();
    }
  });

  it('is still judged by the collab-server: another site’s page and a signed-out visitor get nothing', async () => {
    const site = await startSite();
    expect(await handshake(site.collabUrl, { cookie: owner.cookie, origin: 'http://evil.example' })).toBe(403);
    expect(await handshake(site.collabUrl, { cookie: owner.cookie, origin: site.origin })).toBe(101);

    const stranger = connect(site.collabUrl, comicId, { origin: site.origin });
    try {
      await waitFor(() => stranger.refused !== undefined, 'the signed-out visitor to be refused');
      expect(stranger.provider.isSynced).toBe(false);
      expect(stranger.records.size).toBe(0);
    } finally {
      stranger.close();
    }
  });

  it('survives visitors who reset their connection while it is refused or handed over', async () => {
    const site = await startSite();
    const sitePort = Number(new URL(site.origin).port);
    // Through the site (handed off) and straight to the collab-server; refused (another site's Origin) or not;
    // reset at once, a moment later, or once the answer is there.
    for (let n = 0; n < 48; n++) {
      const port = n < 24 ? sitePort : site.collabPort;
      const refused = n % 2 === 0;
      const socket = connectTcp(port, '127.0.0.1');
      socket.on('error', () => {});
      await once(socket, 'connect');
      socket.write(
        `GET /collab HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${refused ? 'http://evil.example' : site.origin}\r\n` +
          'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      const when = Math.floor(n / 2) % 3;
      if (when === 1) await new Promise((resolve) => setTimeout(resolve, 1));
      if (when === 2) await once(socket, 'data');
      socket.resetAndDestroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(site.front.exitCode ?? site.front.signalCode).toBeNull();
    expect(site.collab.exitCode ?? site.collab.signalCode).toBeNull();
    expect(await handshake(site.collabUrl, { cookie: owner.cookie, origin: site.origin })).toBe(101);
  });

  it('leaves no connection hanging when the collab-server dies while connections wait for it', async () => {
    const site = await startSite();
    // A stuck collab-server: the first connection is written to its channel and never acknowledged, so the
    // next ones queue behind it. Then it dies.
    site.collab.kill('SIGSTOP');
    const headers = { cookie: owner.cookie, origin: site.origin };
    const waiting = [1, 2, 3].map(() => handshake(site.collabUrl, headers));
    await new Promise((resolve) => setTimeout(resolve, 500));
    site.collab.kill('SIGKILL');
    const ends = await Promise.all(waiting);
    // The one in the dead process's channel closes with it; the queued ones are told why.
    expect(ends.filter((end) => end === 503).length).toBeGreaterThanOrEqual(2);
    expect(ends.every((end) => end === 503 || end === 'closed')).toBe(true);
  });

  it('is refused at once, not left hanging, while no collab-server is there to take it', async () => {
    const site = await startSite();
    site.collab.kill('SIGKILL');
    await once(site.collab, 'exit');
    expect(await handshake(site.collabUrl, { cookie: owner.cookie, origin: site.origin })).toBe(503);
  });
});
