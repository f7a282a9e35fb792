// A collab-server beside a test pipeline, and comics opened in it as a collaborator's tab would: a real
// Hocuspocus provider with the member's session cookie.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { loadConfig as loadCollabConfig } from '../../collab-server/src/config.ts';
import { type ComicPanelShape, recordsOf } from '../../collab-server/src/model/index.ts';
import { type CollabServer, createCollabServer } from '../../collab-server/src/server.ts';
import { freePort } from '../../test/private-services.ts';
import type { Member, Pipeline } from './pipeline-harness.ts';

/** A collab-server on the pipeline's API and Redis prefix, storing quickly; its websocket address. */
export async function startCollab(pipeline: Pipeline): Promise<{ collab: CollabServer; url: string }> {
  const collab = createCollabServer({
    ...loadCollabConfig({ ...process.env, LOG_LEVEL: 'silent' }),
    port: 0,
    apiUrl: pipeline.apiUrl,
    redisPrefix: pipeline.prefix,
    store: { debounceMs: 50, maxDebounceMs: 200, retryBaseMs: 50, retryMaxMs: 200 },
  });
  return { collab, url: `ws://127.0.0.1:${await collab.listen()}/collab` };
}

/**
 * A collab-server in a child process on the pipeline, started as production starts it, to be killed without a
 * goodbye and started again on the same port (each start with its own extra environment).
 */
export async function spawnCollab(pipeline: Pipeline) {
  const port = await freePort();
  let child: ChildProcess | undefined;
  return {
    url: `ws://127.0.0.1:${port}/collab`,
    async start(env: Record<string, string> = {}) {
      child = spawn(process.execPath, ['collab-server/src/main.ts'], {
        env: { ...process.env, COLLAB_PORT: String(port), API_INTERNAL_URL: pipeline.apiUrl, REDIS_PREFIX: pipeline.prefix, LOG_LEVEL: 'silent', ...env },
        stdio: 'ignore',
      });
      await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok === true, 'the collab-server to start');
    },
    async kill() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export function openComic(collabUrl: string, member: Member, comicId: string) {
  const WithCookie = class extends WebSocket {
    constructor(address: string) {
      super(address, { headers: { cookie: member.cookie } });
    }
  };
  const socket = new HocuspocusProviderWebsocket({ url: collabUrl, WebSocketPolyfill: WithCookie });
  const doc = new Y.Doc();
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: `comic:${comicId}`, document: doc });
  const stateless: string[] = [];
  provider.on('stateless', ({ payload }: { payload: string }) => stateless.push(payload));
  provider.attach();
  const synced = new Promise<void>((resolve) => provider.on('synced', () => resolve()));
  return { doc, provider, stateless, synced, close: () => (provider.destroy(), socket.destroy()) };
}

export async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const imagesIn = (doc: Y.Doc, panelId: string) =>
  [...recordsOf(doc).values()].filter((r) => r.typeName === 'shape' && r.type === 'image' && r.parentId === panelId);

export const panelIn = (doc: Y.Doc, panelId: string) => recordsOf(doc).get(panelId as never) as ComicPanelShape | undefined;
