// Every connection asks the API who it is and what it may do on this comic. Viewers get read-only
// connections: Hocuspocus answers their document updates with "not applied" and drops them.
import type { Extension, onAuthenticatePayload } from '@hocuspocus/server';
import { type AccessClient, AccessDenied, type ComicRole } from '../access.ts';
import { comicIdOf } from '../documents.ts';
import type { Logger } from '../logger.ts';

/** What a connection knows about who is on the other end; `connection.context` in every hook. */
export interface ConnectionContext {
  user: { id: string; username: string };
  comicId: string;
  role: ComicRole;
  /** The session it was opened with (directly, or through a collab token): it closes when that session ends. */
  sessionId: string;
  /** When the access check started: a change of access published after it may not be in its answer. */
  checkedAt: number;
}

export function createAuth(deps: { access: AccessClient; logger: Logger }): Extension<ConnectionContext> {
  return {
    extensionName: 'auth',
    async onAuthenticate({ documentName, token, requestHeaders, connectionConfig }: onAuthenticatePayload<ConnectionContext>) {
      const comicId = comicIdOf(documentName);
      const cookie = requestHeaders.get('cookie');
      try {
        if (!comicId) throw new AccessDenied('forbidden');
        if (!token && !cookie) throw new AccessDenied('unauthorized');
        const checkedAt = Date.now();
        const grant = await deps.access.check(comicId, token ? { token } : { cookie: cookie! });
        connectionConfig.readOnly = grant.role === 'viewer';
        const context: ConnectionContext = { user: { id: grant.userId, username: grant.username }, comicId, role: grant.role, sessionId: grant.sessionId, checkedAt };
        return context;
      } catch (error) {
        if (error instanceof AccessDenied) deps.logger.info('connection refused', { document: documentName, reason: error.reason });
        throw error;
      }
    },
  };
}
