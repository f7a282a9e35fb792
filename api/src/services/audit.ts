import type { Database } from '@inkwell/db';
import { schema } from '@inkwell/db';
import type { ClientInfo } from './sessions.ts';

export type AuditAction =
  | 'auth.register'
  | 'auth.sign_in'
  | 'auth.sign_in_failed'
  | 'auth.sign_out'
  | 'auth.sessions_ended'
  | 'auth.password_changed'
  | 'auth.password_reset_requested'
  | 'auth.password_reset'
  | 'auth.email_verified'
  | 'user.role_changed'
  | 'user.deactivated'
  | 'user.reactivated'
  | 'user.super_admin_created'
  | 'comic.published'
  | 'comic.unpublished'
  | `comic.${'character_created' | 'character_updated' | 'character_deleted' | 'style_lock_changed'}`
  | `comic.${'created' | 'renamed' | 'description_changed' | 'deleted'}`
  | `comic.${'member_added' | 'member_role_changed' | 'member_removed' | 'member_left'}`
  | `comic.${'invite_created' | 'invite_revoked' | 'invite_accepted'}`
  | 'comic.version_deleted'
  | `media.${'uploaded' | 'renamed' | 'privacy_changed' | 'deleted'}`
  | `moderation.${'hide' | 'remove' | 'restore' | 'dismiss' | 'warn' | 'undone'}`
  | 'user.suspended'
  | 'user.unsuspended'
  | 'queue.paused'
  | 'queue.resumed'
  | 'queue.failed_retried'
  | 'queue.completed_cleaned';

/**
 * One entry. Values name what they are about (a comic's title, a picture's name, a member's username), never
 * only ids, and a change gives the value before (`oldValues`) and after (`newValues`).
 */
export interface AuditEvent {
  actorId: string | null;
  action: AuditAction;
  resourceType: string;
  resourceId?: string | null;
  oldValues?: unknown;
  newValues?: unknown;
  client?: ClientInfo;
}

export function createAuditService(deps: { db: Database }) {
  return {
    async record(event: AuditEvent): Promise<void> {
      await deps.db.insert(schema.auditLogs).values({
        userId: event.actorId,
        action: event.action,
        resourceType: event.resourceType,
        resourceId: event.resourceId ?? null,
        oldValues: event.oldValues ?? null,
        newValues: event.newValues ?? null,
        ipAddress: event.client?.ip ?? null,
        userAgent: event.client?.userAgent?.slice(0, 512) ?? null,
      });
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
