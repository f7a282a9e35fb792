// What moderation hides, and from whom: a hidden or removed comic or picture is seen by its owner and by
// moderators only; everyone else is answered as if it did not exist.
import { type SQL, and, eq, ne, or } from 'drizzle-orm';
import { schema } from '@inkwell/db';
import type { Auth } from '../services/sessions.ts';

/** Whether `viewer` may still see a thing of `ownerId` in `state`. */
export function seesModerated(viewer: Auth | null, ownerId: string, state: string): boolean {
  if (state === 'visible') return true;
  return viewer !== null && (viewer.user.id === ownerId || viewer.user.permissions.has('moderation:review'));
}

/**
 * Cache policy for what anyone may fetch (public pictures, published page images): shared caches may keep
 * it a minute, then must ask again, so that hiding or unpublishing reaches every cache within a minute
 * (`immutable` kept it a year). What only its owner or moderators see is never stored by shared caches.
 */
export const PUBLIC_CACHE = 'public, max-age=60, must-revalidate';
export const PRIVATE_CACHE = 'private, max-age=86400';
export const RESTRICTED_CACHE = 'private, no-store';

/** Someone else's picture a comic may show: shared (public or unlisted) and not hidden by moderators. */
export function sharedPicture(): SQL {
  return and(ne(schema.media.privacy, 'private'), eq(schema.media.moderationState, 'visible'))!;
}

/** A picture `viewer` may see drawn on a page, as `seesModerated` says: not hidden, theirs, or they moderate. */
export function pictureSeenBy(viewer: Auth | null): SQL | undefined {
  if (viewer?.user.permissions.has('moderation:review')) return undefined;
  return or(eq(schema.media.moderationState, 'visible'), viewer ? eq(schema.media.userId, viewer.user.id) : undefined);
}
