import type { Database } from '@inkwell/db';
import { schema } from '@inkwell/db';

/**
 * What a notification is about, by kind (its `payload`): `moderation` and `suspension` (moderation.ts),
 * `mention` and `reply` (a comment: comicId, comicTitle, threadId, commentId, by, excerpt) and `invitation`
 * (comicId, comicTitle, role, by).
 */
export type NotificationKind = 'moderation' | 'suspension' | 'mention' | 'reply' | 'invitation';

export type Notify = (userIds: Iterable<string>, kind: NotificationKind, payload: Record<string, unknown>) => Promise<void>;

/** Writes one notification per user, for them to read on /notifications. */
export function createNotifier(db: Database): Notify {
  return async (userIds, kind, payload) => {
    const rows = [...new Set(userIds)].map((userId) => ({ userId, kind, payload }));
    if (rows.length > 0) await db.insert(schema.notifications).values(rows);
  };
}
