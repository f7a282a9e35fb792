// The API's answer to "who is this, and what may they do on this comic?", asked once per connection.
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';

export const COMIC_ROLES = ['owner', 'editor', 'viewer'] as const;
export type ComicRole = (typeof COMIC_ROLES)[number];

export interface Grant {
  userId: string;
  username: string;
  role: ComicRole;
  /** The session the caller proved (its id, not its secret): the connection lasts no longer than it. */
  sessionId: string;
}

const response = z.object({
  success: z.literal(true),
  data: z.object({ userId: z.string().min(1), username: z.string(), role: z.enum(COMIC_ROLES), sessionId: z.string().min(1) }),
});

/**
 * A refused connection. `reason` reaches the client (the provider's `authenticationFailed`). It carries no
 * message on purpose: Hocuspocus logs every hook error that has one, and a refusal is not a server error.
 */
export class AccessDenied extends Error {
  readonly reason: 'unauthorized' | 'forbidden' | 'unavailable';

  constructor(reason: AccessDenied['reason']) {
    super();
    this.reason = reason;
  }
}

/** Either the session cookie of the websocket upgrade, or a collab token the client got from the API. */
export type Credentials = { cookie: string } | { token: string };

export interface AccessClient {
  check(comicId: string, credentials: Credentials): Promise<Grant>;
}

/**
 * Connections to the API kept open for access checks. A burst of connections (every client coming back after
 * a restart) queues its checks on these rather than opening a socket each, which the collab-server and the
 * API would both hold for seconds after.
 */
const API_SOCKETS = 16;

export function createAccessClient(apiUrl: string, timeoutMs = 5000): AccessClient {
  const base = new URL(apiUrl);
  const transport = base.protocol === 'https:' ? https : http;
  const agent = new transport.Agent({ keepAlive: true, maxSockets: API_SOCKETS });

  /** The status and parsed JSON body (null when not JSON) of a GET; rejects when no answer comes within `timeoutMs`. */
  function get(path: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const request = transport.get(new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base), { agent, headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('error', reject);
        answer.on('end', () => {
          clearTimeout(timer);
          let body: unknown = null;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            // Not JSON: the caller treats it as no answer.
          }
          resolve({ status: answer.statusCode ?? 0, body });
        });
      });
      // From the call, not from the socket: a check queued behind others counts its wait too.
      const timer = setTimeout(() => request.destroy(new Error('the API did not answer in time')), timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  return {
    async check(comicId, credentials) {
      const headers: Record<string, string> = 'token' in credentials ? { authorization: `Bearer ${credentials.token}` } : { cookie: credentials.cookie };
      let answer: { status: number; body: unknown };
      try {
        answer = await get(`/api/v1/comics/${encodeURIComponent(comicId)}/access`, headers);
      } catch {
        throw new AccessDenied('unavailable');
      }
      if (answer.status === 401) throw new AccessDenied('unauthorized');
      if (answer.status === 403 || answer.status === 404) throw new AccessDenied('forbidden');
      const body = answer.status >= 200 && answer.status < 300 ? response.safeParse(answer.body) : undefined;
      if (!body?.success) throw new AccessDenied('unavailable');
      return body.data.data;
    },
  };
}
