// The API's answer to "who is this, and what may they do on this comic?", asked once per connection.
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

export function createAccessClient(apiUrl: string, timeoutMs = 5000): AccessClient {
  return {
    async check(comicId, credentials) {
      const headers: Record<string, string> = 'token' in credentials ? { authorization: `Bearer ${credentials.token}` } : { cookie: credentials.cookie };
      let answer: Response;
      try {
        answer = await fetch(`${apiUrl}/api/v1/comics/${comicId}/access`, { headers, signal: AbortSignal.timeout(timeoutMs) });
      } catch {
        throw new AccessDenied('unavailable');
      }
      if (answer.status === 401) throw new AccessDenied('unauthorized');
      if (answer.status === 403 || answer.status === 404) throw new AccessDenied('forbidden');
      const body = answer.ok ? response.safeParse(await answer.json().catch(() => null)) : undefined;
      if (!body?.success) throw new AccessDenied('unavailable');
      return body.data.data;
    },
  };
}
