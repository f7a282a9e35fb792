// ComfyUI's websocket as a stream of typed events: one socket per client (`/ws?clientId=`), announcing
// preview-metadata support, every message parsed into a ComfyEvent, and the socket's own opening and
// closing delivered as connection events. A dropped socket is reopened with backoff; once it has stayed
// down for `graceMs`, whoever waits on it is told (connect() rejects, onDown is called), and reconnection
// goes on.
import WebSocket, { type RawData } from 'ws';
import { ComfyClientClosedError, ComfyConnectionError } from './errors.ts';
import { parseBinaryMessage, parseTextMessage } from './events.ts';
import type { ComfyClientEvent } from './types.ts';

export interface ComfyEventStreamOptions {
  baseUrl: string;
  clientId: string;
  /** Reconnection backoff: first delay and ceiling. Default 250 ms → 5 s. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long the socket may stay down before onDown and pending connects fail. */
  graceMs: number;
  /** How long connect() waits for the socket to open (at most graceMs). */
  connectTimeoutMs: number;
  /** Ask for previews with metadata (binary type 4, which carry the prompt id). */
  previewMetadata: boolean;
  /** The socket stayed down past graceMs. */
  onDown(error: ComfyConnectionError): void;
  logger?: { warn: (message: string) => void; debug?: (message: string) => void };
}

interface Opener {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export function createComfyEventStream(options: ComfyEventStreamOptions) {
  const { baseUrl, clientId, graceMs, logger: log } = options;
  const initialDelay = options.reconnect?.initialDelayMs ?? 250;
  const maxDelay = options.reconnect?.maxDelayMs ?? 5_000;
  const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(clientId)}`;

  let ws: WebSocket | undefined;
  let isOpen = false;
  let closed = false;
  /** Counts openings: a prompt submitted and followed within one epoch has had every event delivered. */
  let epoch = 0;
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const openers = new Set<Opener>();
  const listeners = new Set<(event: ComfyClientEvent) => void>();

  function emit(event: ComfyClientEvent): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        log?.warn(`ComfyUI event listener threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  function rejectOpeners(error: unknown): void {
    for (const opener of openers) opener.reject(error);
    openers.clear();
  }

  function startGrace(): void {
    if (graceTimer || closed) return;
    graceTimer = setTimeout(() => {
      graceTimer = undefined;
      if (isOpen) return;
      const error = new ComfyConnectionError(baseUrl, `lost the websocket to ComfyUI at ${baseUrl} and could not reconnect within ${graceMs} ms`);
      rejectOpeners(error);
      options.onDown(error);
    }, graceMs);
    graceTimer.unref();
  }

  function scheduleReconnect(): void {
    if (closed || reconnectTimer) return;
    const delay = Math.min(maxDelay, initialDelay * 2 ** attempt) * (0.75 + Math.random() * 0.25);
    attempt++;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      openSocket();
    }, delay);
    reconnectTimer.unref();
  }

  function openSocket(): void {
    if (closed || ws) return;
    const socket = new WebSocket(wsUrl, { perMessageDeflate: false });
    ws = socket;
    socket.on('open', () => {
      if (ws !== socket) return;
      if (options.previewMetadata) socket.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
      isOpen = true;
      attempt = 0;
      epoch++;
      clearTimeout(graceTimer);
      graceTimer = undefined;
      for (const opener of openers) opener.resolve();
      openers.clear();
      emit({ type: 'connection', state: 'open', sid: clientId, reconnected: epoch > 1 });
    });
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (ws !== socket) return;
      emit(isBinary ? parseBinaryMessage(Array.isArray(data) ? data : data instanceof ArrayBuffer ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) : parseTextMessage(data.toString()));
    });
    socket.on('error', (err) => log?.debug?.(`websocket to ${baseUrl}: ${err.message}`));
    socket.on('close', (code, reason) => {
      if (ws !== socket) return;
      ws = undefined;
      const wasOpen = isOpen;
      isOpen = false;
      if (wasOpen) emit({ type: 'connection', state: 'closed', code, reason: reason.toString(), willReconnect: !closed });
      if (closed) return;
      startGrace();
      scheduleReconnect();
    });
  }

  return {
    get open(): boolean {
      return isOpen;
    },

    get epoch(): number {
      return epoch;
    },

    /** Calls `listener` with every event; returns the unsubscribe function. */
    subscribe(listener: (event: ComfyClientEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** Opens the socket (if not open) and resolves when it is; fails after connectTimeoutMs (at most graceMs). */
    connect(): Promise<void> {
      if (closed) return Promise.reject(new ComfyClientClosedError(baseUrl));
      if (isOpen) return Promise.resolve();
      const waitMs = Math.min(options.connectTimeoutMs, graceMs);
      const opened = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          openers.delete(opener);
          reject(new ComfyConnectionError(baseUrl, `cannot open the websocket to ComfyUI at ${baseUrl} (waited ${waitMs} ms)`));
        }, waitMs);
        timer.unref();
        const opener: Opener = {
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        openers.add(opener);
      });
      startGrace();
      if (!ws && !reconnectTimer) openSocket();
      return opened;
    },

    /** Stops reconnecting, fails pending connects with `error`, and closes the socket (forcibly after 1 s). */
    async close(error: unknown): Promise<void> {
      if (closed) return;
      closed = true;
      clearTimeout(reconnectTimer);
      clearTimeout(graceTimer);
      reconnectTimer = graceTimer = undefined;
      rejectOpeners(error);
      const socket = ws;
      ws = undefined;
      isOpen = false;
      if (socket && socket.readyState !== WebSocket.CLOSED) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            socket.terminate();
            resolve();
          }, 1_000);
          timer.unref();
          socket.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
          else socket.close(1000);
        });
      }
      listeners.clear();
    },
  };
}

export type ComfyEventStream = ReturnType<typeof createComfyEventStream>;
