// The API announces every change to a comic's comments on Redis (`redisNames().comments`); this relays it to
// the comic's open connections on this server as a stateless message {"type":"comments",event,threadId,
// commentId}, and the canvases load the comments again. The message carries no text: members only, and the
// API decides what each of them reads.
import type { Extension, Hocuspocus } from '@hocuspocus/server';
import type { Redis } from 'ioredis';
import { commentChange, parseMessage, quitOrDrop, whenReady } from '@inkwell/workflows';
import { documentNameOf } from '../documents.ts';
import type { Logger } from '../logger.ts';
import type { ConnectionContext } from './auth.ts';

/** `createClient` gives a Redis connection of the relay's own: once subscribed, it can do nothing else. */
export function createCommentRelay(deps: { createClient: () => Redis; channel: string; logger: Logger }): Extension<ConnectionContext> {
  let instance: Hocuspocus<ConnectionContext> | undefined;
  let subscriber: Redis | undefined;
  let ready: Promise<unknown> = Promise.resolve();

  return {
    extensionName: 'comment-relay',
    async onConfigure(payload) {
      instance = payload.instance;
      const redis = deps.createClient();
      subscriber = redis;
      redis.on('message', (channel: string, raw: string) => {
        if (channel !== deps.channel) return;
        const change = parseMessage(commentChange, raw);
        if (!change) return deps.logger.warn('ignored a comment change that is not one', { message: raw.slice(0, 200) });
        const { comicId: _comicId, ...said } = change;
        const message = JSON.stringify({ type: 'comments', ...said });
        for (const connection of instance?.documents.get(documentNameOf(change.comicId))?.getConnections() ?? []) connection.sendStateless(message);
      });
      // A SUBSCRIBE sent before the connection is ready is lost.
      ready = whenReady(redis).then(() => redis.subscribe(deps.channel));
      ready.catch((error: unknown) => deps.logger.error('comment relay not subscribed: comments will not reach open canvases', { error: String(error) }));
    },
    // A connection is served only once changes reach it. The server starts serving only after Redis answered
    // once (see access-changes), and ioredis subscribes again by itself after an outage, so this never holds one up later.
    async onConnect() {
      await ready;
    },
    async onDestroy() {
      if (subscriber) await quitOrDrop(subscriber);
    },
  };
}
