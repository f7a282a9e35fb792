// Presence in Hocuspocus awareness, as the collab-server stamps it and the canvas reads it: `user` (who,
// with what role, in which colour) comes from the server's authentication, never from the client, and
// `presence` is the client's tldraw presence with its identity fields overwritten to match `user`.

import type { ComicRole } from '../access.ts';

/** Who a collaborator is, as the server authenticated them. */
export interface AwarenessUser {
  id: string;
  name: string;
  color: string;
  role: ComicRole;
}

const COLOR = /^#[0-9a-f]{6}$/i;

/** A colour that is safe to put in a style attribute: `#rrggbb` and nothing else. */
export function isPresenceColor(value: unknown): value is string {
  return typeof value === 'string' && COLOR.test(value);
}

const PALETTE = ['#e8590c', '#d6336c', '#ae3ec9', '#7048e8', '#1c7ed6', '#0c8599', '#2b8a3e', '#5c940d', '#c2255c', '#364fc7'];

/** A colour per user that every browser (and the server) agrees on, without asking anyone. */
export function colorFor(userId: string): string {
  let hash = 0;
  for (const char of userId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}

/** A user as the server stamps it; anything else (a client on an older version, a forgery) is not one. */
export function isAwarenessUser(value: unknown): value is AwarenessUser {
  const v = value as Partial<AwarenessUser> | null;
  return typeof v?.id === 'string' && typeof v.name === 'string' && typeof v.role === 'string' && isPresenceColor(v.color);
}
