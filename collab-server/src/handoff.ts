// Handing a browser's websocket to the collab-server instead of relaying it. On one machine (`npm start`) the
// front server accepts the /collab upgrade on the site's origin. Relayed, every message of the live canvas
// would cross two more sockets and the front server's event loop. Handed off, the front server sends the
// connection itself (its file descriptor, over Node's IPC channels through the process that started both) with
// the upgrade request it read; the collab-server parses that request as if it had accepted the connection,
// and from then on the browser and the collab-server talk directly.
import type { ChildProcess } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

const HANDOFF = 'inkwell:collab-connection';

/** What travels with the socket: the upgrade request's bytes as the browser sent them (latin1, as HTTP reads headers). */
export interface HandOff {
  type: typeof HANDOFF;
  request: string;
}

/**
 * The message that goes with `request`'s socket: its request line, its headers as the front server leaves them
 * (it sets the forwarded ones) and `head`, what the browser sent after them. A browser sends nothing more
 * before the handshake's answer, so nothing is lost while the socket changes hands.
 */
export function handOffOf(request: IncomingMessage, head: Buffer): HandOff {
  let text = `${request.method} ${request.url} HTTP/1.1\r\n`;
  for (const [name, value] of headerPairs(request)) text += `${name}: ${value}\r\n`;
  return { type: HANDOFF, request: `${text}\r\n${head.toString('latin1')}` };
}

/** A request's headers, one name and value at a time (Node joins repeated ones, except those it lists). */
export function* headerPairs(request: IncomingMessage): Generator<[string, string]> {
  for (const [name, value] of Object.entries(request.headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) yield [name, one];
  }
}

/** Where a socket can be sent: the IPC channel to a child process, or to this process's parent. */
interface Channel {
  send(message: HandOff, socket: Socket, options: { keepOpen: boolean }, callback: (error: Error | null) => void): boolean;
  once(event: 'disconnect' | 'exit', listener: () => void): unknown;
}

/** Per channel, the sockets sent but not yet written to it. */
const inFlight = new WeakMap<Channel, Set<Socket>>();

/**
 * Sends `socket` with `handOff` over `channel` and closes this process's copy once it is written (the receiver
 * has its own descriptor by then; the connection stays open). A socket that cannot go, the channel refusing it
 * or its receiver dying first (with sockets queued behind one it never acknowledged), is refused, not left
 * hanging.
 */
function pass(channel: Channel, handOff: HandOff, socket: Socket): void {
  let pending = inFlight.get(channel);
  if (!pending) {
    const sockets = new Set<Socket>();
    const refuseAll = () => {
      for (const waiting of sockets) refuseHandOff(waiting);
      sockets.clear();
    };
    // A child that dies with sockets queued never says 'disconnect' (Node waits for the queue to drain): its exit does.
    channel.once('disconnect', refuseAll);
    channel.once('exit', refuseAll);
    inFlight.set(channel, sockets);
    pending = sockets;
  }
  pending.add(socket);
  channel.send(handOff, socket, { keepOpen: true }, (error) => {
    if (!pending.delete(socket)) return;
    if (error) refuseHandOff(socket);
    else socket.destroy();
  });
}

/**
 * In the front server: what hands a /collab connection to the process that started it, to relay on to the
 * collab-server; undefined unless that process asked for it (COLLAB_HANDOFF=ipc) and gave it an IPC channel.
 */
export function handOffToParent(): ((request: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined {
  if (process.env.COLLAB_HANDOFF !== 'ipc' || !process.send) return undefined;
  const parent = process as unknown as Channel;
  return (request, socket, head) => {
    guard(socket);
    pass(parent, handOffOf(request, head), socket as Socket);
  };
}

/**
 * Node's HTTP server takes its error listener off a socket it hands to 'upgrade'. Until the socket's next
 * owner listens, a visitor resetting the connection would otherwise be an uncaught error that stops the process.
 */
export function guard(socket: Duplex): void {
  socket.on('error', () => socket.destroy());
}

/** The bytes to give the collab-server's HTTP parser. */
export const requestBytes = (handOff: HandOff) => Buffer.from(handOff.request, 'latin1');

/** A received IPC message and handle, when they are a handed-off connection (its socket guarded, above). */
export function asHandOff(message: unknown, handle: unknown): { handOff: HandOff; socket: Socket } | undefined {
  const candidate = message as Partial<HandOff> | null;
  if (candidate?.type !== HANDOFF || typeof candidate.request !== 'string' || !(handle instanceof Socket)) return undefined;
  guard(handle);
  return { handOff: candidate as HandOff, socket: handle };
}

/** Refuses a connection no collab-server can take; the browser's provider tries again. */
export function refuseHandOff(socket: Socket): void {
  socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}

/**
 * In the process that started both: passes every connection `front` hands off to the collab-server that
 * `collab()` returns (it may be restarting: then none, and the connection is refused).
 */
export function relayHandOffs(front: ChildProcess, collab: () => ChildProcess | undefined): void {
  front.on('message', (message, handle) => {
    const received = asHandOff(message, handle);
    if (!received) return;
    const target = collab();
    if (!target?.connected) return refuseHandOff(received.socket);
    pass(target as unknown as Channel, received.handOff, received.socket);
  });
}
