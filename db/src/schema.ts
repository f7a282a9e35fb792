import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  customType,
  index,
  inet,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import type { ComicSummary } from './comic-summary.ts';

export type Privacy = 'public' | 'unlisted' | 'private';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** An image rendered at publish time, in object storage. */
export interface PublishedImage {
  key: string;
  width: number;
  height: number;
}

/** The media ids of the pictures in a published snapshot's panels, as a jsonb array of strings (indexed). */
export const PUBLISHED_MEDIA_IDS = sql.raw(`jsonb_path_query_array(published_snapshot, '$.summary.pages[*].panels[*].images[*]')`);

/** What readers see of a published comic, taken when it was (re)published: later edits do not reach them. */
export interface PublishedSnapshot {
  /** New at every publish: it names the snapshot's images, so that their URLs change with them. */
  id: string;
  title: string;
  description: string | null;
  /** The author's username at publish time (searchable). */
  author: string;
  summary: ComicSummary;
  /** One image per page of the summary, rendered without lettering (readers lay the real text over it). */
  pages: PublishedImage[];
  cover: PublishedImage & { pageIndex: number };
  /** The author's alt text per panel id. */
  altTexts: Record<string, string>;
  /** Per panel id, the prompt that drew its top picture, at publish time: the alt text when the author gave none. */
  prompts: Record<string, string>;
  slug: string;
}
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/** What moderators decided about a comic or a picture: hidden and removed ones are seen by their owner and moderators only. */
export type ModerationState = 'visible' | 'hidden' | 'removed';
const moderationColumns = () => ({
  moderationState: varchar('moderation_state', { length: 16 }).$type<ModerationState>().notNull().default('visible'),
  /** The rule broken (a report reason), and the moderator's words to the owner. */
  moderationRule: varchar('moderation_rule', { length: 32 }),
  moderationReason: text('moderation_reason'),
});
const moderationCheck = (name: string, column: AnyPgColumn) => check(name, sql`${column} in ('visible', 'hidden', 'removed')`);
/**
 * A sensitive text encrypted at rest (AES-256-GCM): `<key id>:<base64 of iv, tag and ciphertext>`, so that the
 * key that wrote it is named beside it and keys can rotate.
 */
const encryptedText = (name: string) => text(name);
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const roles = pgTable(
  'roles',
  {
    id: serial('id').primaryKey(),
    name: varchar('name', { length: 32 }).notNull().unique(),
    level: integer('level').notNull().unique(),
    permissions: jsonb('permissions').$type<string[]>().notNull(),
    description: text('description'),
    createdAt: createdAt(),
  },
  (t) => [check('roles_level_range', sql`${t.level} between 1 and 5`)],
);

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: varchar('email', { length: 254 }).notNull(),
    username: varchar('username', { length: 32 }).notNull(),
    passwordHash: varchar('password_hash', { length: 255 }).notNull(),
    roleId: integer('role_id')
      .notNull()
      .references(() => roles.id),
    isActive: boolean('is_active').notNull().default(true),
    emailVerified: boolean('email_verified').notNull().default(false),
    profileImageUrl: varchar('profile_image_url', { length: 2048 }),
    /** Until then the account may sign in and read, not publish, generate, upload or edit. */
    suspendedUntil: timestamp('suspended_until', { withTimezone: true }),
    suspensionReason: text('suspension_reason'),
    preferences: jsonb('preferences').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Case-insensitive uniqueness: "Ada" and "ada" are the same account name.
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    uniqueIndex('users_username_lower_key').on(sql`lower(${t.username})`),
    index('idx_users_role_id').on(t.roleId),
  ],
);

/** Sessions the Lucia way: the cookie holds `<id>.<secret>`, only a SHA-256 of the secret is kept. */
export const userSessions = pgTable(
  'user_sessions',
  {
    id: varchar('id', { length: 64 }).primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    secretHash: bytea('secret_hash').notNull(),
    ipAddress: inet('ip_address'),
    userAgent: text('user_agent'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (t) => [index('idx_user_sessions_user_id').on(t.userId), index('idx_user_sessions_expires_at').on(t.expiresAt)],
);

/** Single-use tokens sent by mail: email verification and password reset. */
export const emailTokens = pgTable(
  'email_tokens',
  {
    id: varchar('id', { length: 64 }).primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: varchar('purpose', { length: 32 }).notNull(),
    secretHash: bytea('secret_hash').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    check('email_tokens_purpose', sql`${t.purpose} in ('verify_email', 'reset_password')`),
    index('idx_email_tokens_user_id').on(t.userId),
  ],
);

/** Mail that would have been sent, kept when no SMTP server is configured (development). */
export const outboxMessages = pgTable(
  'outbox_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    recipient: varchar('recipient', { length: 254 }).notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('idx_outbox_messages_created_at').on(t.createdAt.desc())],
);

export const media = pgTable(
  'media',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    filename: varchar('filename', { length: 255 }).notNull(),
    originalFilename: varchar('original_filename', { length: 255 }).notNull(),
    mimeType: varchar('mime_type', { length: 127 }).notNull(),
    fileSize: bigint('file_size', { mode: 'number' }).notNull(),
    privacy: varchar('privacy', { length: 16 }).$type<Privacy>().notNull().default('private'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    thumbnailUrl: varchar('thumbnail_url', { length: 2048 }),
    storagePath: varchar('storage_path', { length: 1024 }).notNull(),
    /** The comic this was uploaded into: its members may see it whatever its privacy. */
    comicId: uuid('comic_id').references((): AnyPgColumn => comics.id, { onDelete: 'set null' }),
    /** The generation job that made it: unique, so that a job's result is stored exactly once. */
    jobId: uuid('job_id').references((): AnyPgColumn => jobs.id, { onDelete: 'set null' }),
    ...moderationColumns(),
    createdAt: createdAt(),
  },
  (t) => [
    index('idx_media_comic_id').on(t.comicId),
    uniqueIndex('idx_media_job_id').on(t.jobId),
    moderationCheck('media_moderation_state', t.moderationState),
    check('media_privacy', sql`${t.privacy} in ('public', 'unlisted', 'private')`),
    check('media_file_size', sql`${t.fileSize} >= 0`),
    index('idx_media_user_id').on(t.userId),
    index('idx_media_privacy').on(t.privacy),
    index('idx_media_created_at').on(t.createdAt.desc()),
  ],
);

export const comics = pgTable(
  'comics',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: varchar('title', { length: 200 }).notNull(),
    description: text('description'),
    /** Plain JSON summary derived from the Yjs document: pages, panels, images, bubble text. */
    panels: jsonb('panels').notNull().default([]),
    /**
     * Every picture of ours the live document holds (its image assets' media ids), written with the summary;
     * null until the collab-server first derives it, and when it could not (then the document is searched).
     */
    mediaIds: uuid('media_ids').array(),
    /** Published comics are read by anyone with the link; `privacy` is then their visibility (public or unlisted). */
    isPublished: boolean('is_published').notNull().default(false),
    /** 'private' exactly when unpublished; set only by publishing and unpublishing. */
    privacy: varchar('privacy', { length: 16 }).$type<Privacy>().notNull().default('private'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    thumbnailUrl: varchar('thumbnail_url', { length: 2048 }),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    /** `updated_at` when the snapshot was taken: a later `updated_at` means unpublished changes. */
    publishedFrom: timestamp('published_from', { withTimezone: true }),
    publishedSnapshot: jsonb('published_snapshot').$type<PublishedSnapshot>(),
    /** Reads of the published comic, counted without storing who read. */
    readCount: bigint('read_count', { mode: 'number' }).notNull().default(0),
    /** The comic's style lock: what every panel is drawn with unless its request says otherwise. */
    styleLock: jsonb('style_lock').$type<ComicStyleLock>(),
    ...moderationColumns(),
    /**
     * Full-text search over the published snapshot: title and author (weight A), description (B), bubble text (C).
     * Query it with `websearch_to_tsquery('english', q)`; null while unpublished.
     */
    search: tsvector('search').generatedAlwaysAs(
      sql`setweight(to_tsvector('english', coalesce(published_snapshot->>'title', '')), 'A') || setweight(to_tsvector('simple', coalesce(published_snapshot->>'author', '')), 'A') || setweight(to_tsvector('english', coalesce(published_snapshot->>'description', '')), 'B') || setweight(jsonb_to_tsvector('english', coalesce(jsonb_path_query_array(published_snapshot, '$.summary.pages[*].panels[*].text[*]'), '[]'::jsonb), '["string"]'), 'C')`,
    ),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('comics_privacy', sql`${t.privacy} in ('public', 'unlisted', 'private')`),
    check(
      'comics_publication',
      sql`(${t.isPublished} and ${t.privacy} <> 'private' and ${t.publishedAt} is not null and ${t.publishedFrom} is not null and ${t.publishedSnapshot} is not null) or (not ${t.isPublished} and ${t.privacy} = 'private' and ${t.publishedSnapshot} is null)`,
    ),
    check('comics_read_count', sql`${t.readCount} >= 0`),
    moderationCheck('comics_moderation_state', t.moderationState),
    index('idx_comics_user_id').on(t.userId),
    // No index on updated_at (nor on panels or thumbnail_url): every store of a comic's document sets them,
    // and an update that changes no indexed column is written in place (HOT), without touching the indexes,
    // the GIN ones included (0.06 ms in Postgres instead of 0.27).
    index('idx_comics_gallery').on(t.privacy, t.publishedAt.desc()).where(sql`${t.isPublished}`),
    // The gallery's "most read" order, page by page, without sorting every published comic.
    index('idx_comics_popular').on(t.privacy, t.readCount.desc(), t.publishedAt.desc(), t.id.desc()).where(sql`${t.isPublished}`),
    index('idx_comics_search').using('gin', t.search),
    // Which comics show a picture (before it is deleted), without reading every comic's document.
    index('idx_comics_media').using('gin', t.mediaIds),
    index('idx_comics_media_underived').on(t.id).where(sql`${t.mediaIds} is null`),
    index('idx_comics_published_media').using('gin', sql`${PUBLISHED_MEDIA_IDS}`),
  ],
);

export const comicMembers = pgTable(
  'comic_members',
  {
    comicId: uuid('comic_id')
      .notNull()
      .references(() => comics.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: varchar('role', { length: 16 }).$type<'owner' | 'editor' | 'viewer'>().notNull(),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.comicId, t.userId] }),
    check('comic_members_role', sql`${t.role} in ('owner', 'editor', 'viewer')`),
    index('idx_comic_members_user_id').on(t.userId),
  ],
);

/** Share links: whoever opens one while signed in joins the comic with its role. */
export const comicInvites = pgTable(
  'comic_invites',
  {
    id: varchar('id', { length: 64 }).primaryKey(),
    comicId: uuid('comic_id')
      .notNull()
      .references(() => comics.id, { onDelete: 'cascade' }),
    role: varchar('role', { length: 16 }).$type<'editor' | 'viewer'>().notNull(),
    secretHash: bytea('secret_hash').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    check('comic_invites_role', sql`${t.role} in ('editor', 'viewer')`),
    index('idx_comic_invites_comic_id').on(t.comicId),
  ],
);

/** A comic's style lock (see `comics.style_lock`); every field is optional. */
export interface ComicStyleLock {
  stylePreset?: string;
  negativePrompt?: string;
  model?: string;
}

/** The character library of a comic, shared by its members: drawn into panels from their references. */
export const comicCharacters = pgTable(
  'comic_characters',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    comicId: uuid('comic_id')
      .notNull()
      .references(() => comics.id, { onDelete: 'cascade' }),
    name: varchar('name', { length: 80 }).notNull(),
    description: text('description').notNull().default(''),
    /** 1 to 4 media ids, in order: the first is the main reference. */
    referenceMediaIds: uuid('reference_media_ids').array().notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Scripts name characters: a name means one character within a comic, whatever its case.
    uniqueIndex('idx_comic_characters_name').on(t.comicId, sql`lower(${t.name})`),
    check('comic_characters_references', sql`cardinality(${t.referenceMediaIds}) between 1 and 4`),
  ],
);

/** The encoded Yjs state of each comic, written by the collab-server. */
export const comicDocuments = pgTable('comic_documents', {
  comicId: uuid('comic_id')
    .primaryKey()
    .references(() => comics.id, { onDelete: 'cascade' }),
  state: bytea('state').notNull(),
  updatedAt: updatedAt(),
});

export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: varchar('type', { length: 16 }).notNull(),
    workflow: varchar('workflow', { length: 64 }).notNull(),
    status: varchar('status', { length: 16 }).notNull().default('queued'),
    progress: integer('progress').notNull().default(0),
    parameters: jsonb('parameters').$type<Record<string, unknown>>().notNull(),
    targetComicId: uuid('target_comic_id').references(() => comics.id, { onDelete: 'set null' }),
    targetPanelId: varchar('target_panel_id', { length: 128 }),
    /** Jobs queued together (a page drawn from a script) share a batch id. */
    batchId: uuid('batch_id'),
    resultMediaId: uuid('result_media_id').references(() => media.id, { onDelete: 'set null' }),
    errorMessage: text('error_message'),
    /** Milliseconds spent running on the GPU. */
    processingTime: integer('processing_time'),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    check('jobs_type', sql`${t.type} in ('image', 'video', 'gif', 'comic')`),
    check('jobs_status', sql`${t.status} in ('queued', 'running', 'completed', 'failed', 'cancelled')`),
    check('jobs_progress', sql`${t.progress} between 0 and 100`),
    index('idx_jobs_user_id').on(t.userId),
    index('idx_jobs_status').on(t.status),
    index('idx_jobs_type').on(t.type),
    index('idx_jobs_created_at').on(t.createdAt.desc()),
    index('idx_jobs_batch_id').on(t.batchId).where(sql`${t.batchId} is not null`),
  ],
);

export type ReportTargetType = 'comic' | 'media' | 'user';

/** One person's report of a comic, picture or user: one open report per reporter and target (a repeat updates it). */
export const reports = pgTable(
  'reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    reporterId: uuid('reporter_id').references(() => users.id, { onDelete: 'set null' }),
    targetType: varchar('target_type', { length: 16 }).$type<ReportTargetType>().notNull(),
    targetId: uuid('target_id').notNull(),
    reason: varchar('reason', { length: 32 }).notNull(),
    details: encryptedText('details'),
    status: varchar('status', { length: 16 }).$type<'open' | 'resolved'>().notNull().default('open'),
    resolvedBy: uuid('resolved_by').references(() => users.id, { onDelete: 'set null' }),
    /** The moderation action that resolved it. */
    actionId: uuid('action_id').references((): AnyPgColumn => moderationActions.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    check('reports_target_type', sql`${t.targetType} in ('comic', 'media', 'user')`),
    check('reports_status', sql`${t.status} in ('open', 'resolved')`),
    index('idx_reports_status').on(t.status, t.createdAt.desc()),
    index('idx_reports_target').on(t.targetType, t.targetId),
    uniqueIndex('reports_open_per_reporter').on(t.reporterId, t.targetType, t.targetId).where(sql`${t.status} = 'open'`),
  ],
);

/** What a moderator's action changed, as `moderation_state`, rule and reason. */
export interface ModerationSnapshot {
  state: ModerationState;
  rule: string | null;
  reason: string | null;
}

/** Every moderator action, with the state before and after, so that it can be undone and its history read. */
export const moderationActions = pgTable(
  'moderation_actions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    targetType: varchar('target_type', { length: 16 }).$type<ReportTargetType>().notNull(),
    targetId: uuid('target_id').notNull(),
    action: varchar('action', { length: 16 }).$type<'hide' | 'remove' | 'restore' | 'dismiss' | 'warn'>().notNull(),
    rule: varchar('rule', { length: 32 }),
    reason: text('reason').notNull(),
    moderatorId: uuid('moderator_id').references(() => users.id, { onDelete: 'set null' }),
    oldState: jsonb('old_state').$type<ModerationSnapshot>(),
    newState: jsonb('new_state').$type<ModerationSnapshot>(),
    createdAt: createdAt(),
    undoneAt: timestamp('undone_at', { withTimezone: true }),
    undoneBy: uuid('undone_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [
    check('moderation_actions_action', sql`${t.action} in ('hide', 'remove', 'restore', 'dismiss', 'warn')`),
    index('idx_moderation_actions_target').on(t.targetType, t.targetId, t.createdAt.desc()),
  ],
);

/** The owner's one appeal against an action. */
export const appeals = pgTable(
  'appeals',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    actionId: uuid('action_id')
      .notNull()
      .unique()
      .references(() => moderationActions.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    message: encryptedText('message').notNull(),
    status: varchar('status', { length: 16 }).$type<'open' | 'closed'>().notNull().default('open'),
    createdAt: createdAt(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [check('appeals_status', sql`${t.status} in ('open', 'closed')`), index('idx_appeals_open').on(t.status)],
);

/** Notes about a target that only moderators see. */
export const moderatorNotes = pgTable(
  'moderator_notes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    targetType: varchar('target_type', { length: 16 }).$type<ReportTargetType>().notNull(),
    targetId: uuid('target_id').notNull(),
    authorId: uuid('author_id').references(() => users.id, { onDelete: 'set null' }),
    body: encryptedText('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('idx_moderator_notes_target').on(t.targetType, t.targetId)],
);

export type ComicVersionKind = 'auto' | 'named' | 'publish' | 'restore';

/** A saved state of a comic's document: automatic while it changes, named by an editor, at publish, before a restore. */
export const comicVersions = pgTable(
  'comic_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    comicId: uuid('comic_id')
      .notNull()
      .references(() => comics.id, { onDelete: 'cascade' }),
    kind: varchar('kind', { length: 16 }).$type<ComicVersionKind>().notNull(),
    /** Given by an editor for a named version; null for automatic ones. */
    name: varchar('name', { length: 120 }),
    /** The whole document as one encoded Yjs update. */
    state: bytea('state').notNull(),
    summary: jsonb('summary').$type<ComicSummary>().notNull(),
    /** Who changed the comic since the version before this one. */
    contributorIds: uuid('contributor_ids').array().notNull().default(sql`'{}'::uuid[]`),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    check('comic_versions_kind', sql`${t.kind} in ('auto', 'named', 'publish', 'restore')`),
    index('idx_comic_versions_comic').on(t.comicId, t.createdAt.desc()),
  ],
);

/** Where a comment is pinned: to a shape (it follows the shape), or to a point on a page. */
export type CommentAnchor = { shapeId: string } | { pageId: string; x: number; y: number };

/** Comments on a comic's canvas: threads (a reply names its parent), resolved and reopened as a whole. */
export const comments = pgTable(
  'comments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    comicId: uuid('comic_id')
      .notNull()
      .references(() => comics.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    parentId: uuid('parent_id').references((): AnyPgColumn => comments.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
    /** Null for a reply: it sits with its thread. */
    anchor: jsonb('anchor').$type<CommentAnchor>(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolvedBy: uuid('resolved_by').references(() => users.id, { onDelete: 'set null' }),
    editedAt: timestamp('edited_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    check('comments_thread', sql`(${t.parentId} is null) = (${t.anchor} is not null)`),
    index('idx_comments_comic').on(t.comicId, t.createdAt),
    index('idx_comments_parent').on(t.parentId),
  ],
);

/** What happened that concerns a user (moderation, mentions, replies, invitations), for them to read. */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: varchar('kind', { length: 32 }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    readAt: timestamp('read_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('idx_notifications_user').on(t.userId, t.createdAt.desc())],
);

export const auditLogs = pgTable(
  'audit_logs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    action: varchar('action', { length: 64 }).notNull(),
    resourceType: varchar('resource_type', { length: 32 }).notNull(),
    resourceId: varchar('resource_id', { length: 128 }),
    oldValues: jsonb('old_values'),
    newValues: jsonb('new_values'),
    ipAddress: inet('ip_address'),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
  },
  (t) => [
    index('idx_audit_logs_user_id').on(t.userId),
    index('idx_audit_logs_action').on(t.action),
    index('idx_audit_logs_created_at').on(t.createdAt.desc()),
  ],
);
