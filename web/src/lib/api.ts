/**
 * The typed client of the Inkwell API. The browser calls it on this origin (`/api/v1/...`, proxied by the
 * front server); `load` functions pass SvelteKit's `fetch`, which `handleFetch` sends to the API directly.
 * Request bodies and response data are the API's own contract types.
 */
import { error } from '@sveltejs/kit';
import type {
  AdminUser,
  AuditEntry,
  ComicDetail,
  ComicInvite,
  ComicMember,
  ComicRole,
  ComicSummary,
  CurrentUser,
  GalleryComic,
  GallerySort,
  MediaItem,
  OutboxMessage,
  Pagination,
  Profile,
  Publication,
  PublishDraft,
  ReaderComic,
  ReportGroup,
  ModerationHistoryItem,
  NotificationItem,
  TargetView,
  RoleInfo,
  SessionInfo,
  addMemberBody,
  adminUpdateUserBody,
  changePasswordBody,
  createComicBody,
  createInviteBody,
  loginBody,
  passwordResetBody,
  passwordResetRequestBody,
  publishBody,
  registerBody,
  updateComicBody,
  verifyEmailBody,
  appealBody,
  appealItem,
  createReportBody,
  moderateBody,
  moderationStats,
  reportReasonInfo,
  reportReceipt,
  reviewFeedItem,
  suspendBody,
  suspension,
} from '@inkwell/api/contract';
import type { CommentAnchor, CommentThread } from '@inkwell/api/contract';
import type { ComfyInstance, FailedJob, QueueAction, QueueActionResult, QueueTile, SystemOverview } from '@inkwell/api/operations-contract';
import type { RestoreResult, VersionDetail, VersionItem } from '@inkwell/api/versions-contract';
import type { z } from 'zod';

/** A field's message from the API's validation details (`[{ path, message }]`), keyed by the field name. */
export type FieldErrors = Record<string, string>;

/** A failed API call: the standard error body, plus what the form and the message need from it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldErrors;
  /** The error's `details` as the API sent them (the field errors above are read from them). */
  readonly details: unknown;

  constructor(status: number, code: string, message: string, fields: FieldErrors = {}, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.details = details;
  }
}

/**
 * For `load` functions: `answer`, or the 404 page with `message` when the API finds no such thing, or the
 * address does not even name one (400). Private, hidden, deleted or mistyped: all the same to a visitor.
 */
export async function foundOr404<T>(answer: Promise<T>, message: string): Promise<T> {
  try {
    return await answer;
  } catch (failure) {
    if (failure instanceof ApiError && (failure.status === 404 || failure.status === 400)) error(404, message);
    throw failure;
  }
}

/** For the `handleError` hooks: a failed API call inside a `load` shows the API's status and message. */
export function apiErrorPage(error: unknown): { status: number; message: string } | undefined {
  return error instanceof ApiError ? { status: error.status, message: error.message } : undefined;
}

export interface Page<T> {
  items: T[];
  pagination: Pagination;
}

export interface PageQuery {
  page?: number;
  limit?: number;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

function fieldErrors(details: unknown): FieldErrors {
  if (!Array.isArray(details)) return {};
  const fields: FieldErrors = {};
  for (const issue of details as { path?: unknown; message?: unknown }[]) {
    if (typeof issue?.message !== 'string') continue;
    const path = Array.isArray(issue.path) ? issue.path.join('.') : String(issue.path ?? '');
    // `body.email` and `email` both name the `email` field; the first message per field wins.
    const name = path.split('.').at(-1) ?? '';
    fields[name] ??= issue.message;
  }
  return fields;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * The request/response-envelope helpers every client of the API is built on: `data` answers a call's `data`,
 * `page` a list with its pagination; a failed call throws an `ApiError`.
 */
export function createRequester(fetchFn: typeof fetch = fetch) {
  async function send<T>(method: Method, path: string, body?: unknown): Promise<{ data: T; pagination?: Pagination }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    // A FormData body (an upload) sets its own multipart content type, boundary included.
    const form = body instanceof FormData;
    if (body !== undefined && !form) headers['content-type'] = 'application/json';
    const payloadBody = body === undefined ? undefined : form ? body : JSON.stringify(body);
    const response = await fetchFn(`/api/v1/${path}`, { method, headers, body: payloadBody });
    const payload = (await response.json().catch(() => null)) as
      | { success: true; data: T; pagination?: Pagination }
      | { success: false; error: { code: string; message: string; details?: unknown } }
      | null;
    if (response.ok && payload?.success) return payload;
    const error = payload && !payload.success ? payload.error : undefined;
    throw new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `The server answered ${response.status} ${response.statusText}`.trim(),
      fieldErrors(error?.details),
      error?.details,
    );
  }

  const data = async <T>(method: Method, path: string, body?: unknown) => (await send<T>(method, path, body)).data;

  async function page<T>(path: string, params: Record<string, string | number | undefined>): Promise<Page<T>> {
    const { data: items, pagination } = await send<T[]>('GET', `${path}${query(params)}`);
    return { items, pagination: pagination ?? { page: 1, limit: items.length, total: items.length } };
  }

  /** A call whose data is one thing with a paginated list inside (a profile and its comics). */
  async function paged<T>(path: string, params: Record<string, string | number | undefined>): Promise<{ data: T; pagination: Pagination }> {
    const { data: value, pagination } = await send<T>('GET', `${path}${query(params)}`);
    if (!pagination) throw new ApiError(502, 'http_error', 'The server answered without its pagination');
    return { data: value, pagination };
  }

  return { data, page, paged };
}

export function createApi(fetchFn: typeof fetch = fetch) {
  const { data, page, paged } = createRequester(fetchFn);

  const comic = (id: string) => `comics/${encodeURIComponent(id)}`;

  return {
    auth: {
      register: (body: z.input<typeof registerBody>) => data<CurrentUser>('POST', 'auth/register', body),
      login: (body: z.input<typeof loginBody>) => data<CurrentUser>('POST', 'auth/login', body),
      logout: () => data<unknown>('POST', 'auth/logout'),
      me: () => data<CurrentUser>('GET', 'auth/me'),
      sessions: () => data<SessionInfo[]>('GET', 'auth/sessions'),
      endSession: (id: string) => data<unknown>('DELETE', `auth/sessions/${encodeURIComponent(id)}`),
      /** Ends every session of the user; with `keepCurrent`, every one but this browser's. */
      endSessions: (keepCurrent: boolean) => data<unknown>('DELETE', `auth/sessions${query({ keepCurrent: keepCurrent || undefined })}`),
      changePassword: (body: z.input<typeof changePasswordBody>) => data<unknown>('POST', 'auth/password', body),
      requestEmailVerification: () => data<unknown>('POST', 'auth/verify-email/request'),
      verifyEmail: (body: z.input<typeof verifyEmailBody>) => data<unknown>('POST', 'auth/verify-email', body),
      requestPasswordReset: (body: z.input<typeof passwordResetRequestBody>) =>
        data<unknown>('POST', 'auth/password-reset/request', body),
      resetPassword: (body: z.input<typeof passwordResetBody>) => data<unknown>('POST', 'auth/password-reset', body),
    },
    admin: {
      users: (params: PageQuery & { q?: string }) => page<AdminUser>('admin/users', { ...params }),
      updateUser: (id: string, body: z.input<typeof adminUpdateUserBody>) =>
        data<AdminUser>('PATCH', `admin/users/${encodeURIComponent(id)}`, body),
      /** Suspends until a time (they read, but cannot publish, generate or upload); `null` lifts it. */
      suspend: (id: string, body: z.input<typeof suspendBody> | null) =>
        body
          ? data<z.infer<typeof suspension>>('POST', `admin/users/${encodeURIComponent(id)}/suspend`, body)
          : data<z.infer<typeof suspension>>('POST', `admin/users/${encodeURIComponent(id)}/unsuspend`),
      roles: () => data<RoleInfo[]>('GET', 'admin/roles'),
      audit: (params: PageQuery & { action?: string }) => page<AuditEntry>('admin/audit', { ...params }),
      outbox: (params: PageQuery) => page<OutboxMessage>('admin/outbox', { ...params }),
    },
    /** The admin area's operations pages (`queues:manage`). */
    operations: {
      queues: () => data<QueueTile[]>('GET', 'admin/queues'),
      queueAction: (name: string, action: QueueAction) => data<QueueActionResult>('POST', `admin/queues/${encodeURIComponent(name)}/${action}`),
      failedJobs: (name: string, params: PageQuery) => page<FailedJob>(`admin/queues/${encodeURIComponent(name)}/failed`, { ...params }),
      instances: () => data<ComfyInstance[]>('GET', 'admin/instances'),
      system: () => data<SystemOverview>('GET', 'admin/system'),
    },
    comics: {
      /** The comics the user is a member of, most recently changed first. */
      list: (params: PageQuery) => page<ComicSummary>('comics', { ...params }),
      create: (body: z.input<typeof createComicBody>) => data<ComicSummary>('POST', 'comics', body),
      get: (id: string) => data<ComicDetail>('GET', comic(id)),
      update: (id: string, body: z.input<typeof updateComicBody>) => data<ComicDetail>('PATCH', comic(id), body),
      remove: (id: string) => data<unknown>('DELETE', comic(id)),
      members: (id: string) => data<ComicMember[]>('GET', `${comic(id)}/members`),
      addMember: (id: string, body: z.input<typeof addMemberBody>) => data<ComicMember>('POST', `${comic(id)}/members`, body),
      setMemberRole: (id: string, userId: string, role: Exclude<ComicRole, 'owner'>) =>
        data<ComicMember>('PATCH', `${comic(id)}/members/${encodeURIComponent(userId)}`, { role }),
      /** Removes a member (the owner), or leaves the comic (one's own user id). */
      removeMember: (id: string, userId: string) => data<unknown>('DELETE', `${comic(id)}/members/${encodeURIComponent(userId)}`),
      invites: (id: string) => data<ComicInvite[]>('GET', `${comic(id)}/invites`),
      /** A share link; its `url` is in this answer only. */
      createInvite: (id: string, body: z.input<typeof createInviteBody>) => data<ComicInvite>('POST', `${comic(id)}/invites`, body),
      revokeInvite: (id: string, inviteId: string) => data<unknown>('DELETE', `${comic(id)}/invites/${encodeURIComponent(inviteId)}`),
      acceptInvite: (token: string) => data<{ comicId: string; role: string }>('POST', 'invites/accept', { token }),
      /** The owner's view for the Publish dialog: the publication and each panel's text, prompt and alt text. */
      publication: (id: string) => data<PublishDraft>('GET', `${comic(id)}/publication`),
      /** Publishes the comic as it is now (or updates the published version). */
      publish: (id: string, body: z.input<typeof publishBody>) => data<Publication>('POST', `${comic(id)}/publish`, body),
      unpublish: (id: string) => data<unknown>('POST', `${comic(id)}/unpublish`),
    },
    /** Comments on a comic's canvas: threads with their replies. */
    comments: {
      list: (comicId: string) => data<CommentThread[]>('GET', `${comic(comicId)}/comments`),
      /** One thread, by its first comment's id: 404 once it is deleted. */
      thread: (comicId: string, threadId: string) => data<CommentThread>('GET', `${comic(comicId)}/comments/${encodeURIComponent(threadId)}`),
      /** A new thread at an anchor; the answer is the thread. */
      start: (comicId: string, body: string, anchor: CommentAnchor) => data<CommentThread>('POST', `${comic(comicId)}/comments`, { body, anchor }),
      reply: (comicId: string, parentId: string, body: string) => data<CommentThread>('POST', `${comic(comicId)}/comments`, { body, parentId }),
      /** Edits one's own comment (`body`), or resolves or reopens its thread (`resolved`); the answer is the thread. */
      update: (comicId: string, commentId: string, change: { body: string } | { resolved: boolean }) =>
        data<CommentThread>('PATCH', `${comic(comicId)}/comments/${encodeURIComponent(commentId)}`, change),
      remove: (comicId: string, commentId: string) => data<unknown>('DELETE', `${comic(comicId)}/comments/${encodeURIComponent(commentId)}`),
    },
    /** A comic's version history: members read it, editors save, restore and delete. */
    versions: {
      list: (comicId: string, params: PageQuery) => page<VersionItem>(`${comic(comicId)}/versions`, { ...params }),
      get: (comicId: string, versionId: string) => data<VersionDetail>('GET', `${comic(comicId)}/versions/${encodeURIComponent(versionId)}`),
      save: (comicId: string, name: string) => data<VersionItem>('POST', `${comic(comicId)}/versions`, { name }),
      /** The answer's `before` keeps the comic as it was: restoring it undoes this. */
      restore: (comicId: string, versionId: string) => data<RestoreResult>('POST', `${comic(comicId)}/versions/${encodeURIComponent(versionId)}/restore`),
      /** Named versions and those kept before a restore; automatic and publish versions stay. */
      remove: (comicId: string, versionId: string) => data<unknown>('DELETE', `${comic(comicId)}/versions/${encodeURIComponent(versionId)}`),
    },
    read: {
      /** A published comic as readers see it; 404 unless it is published and public or unlisted. */
      comic: (id: string) => data<ReaderComic>('GET', `read/${encodeURIComponent(id)}`),
      /** Counts one read (the reader calls it once per visit). */
      view: (id: string) => data<{ readCount: number }>('POST', `read/${encodeURIComponent(id)}/view`),
    },
    gallery: {
      /** Public published comics for anyone: searched (by relevance unless sorted), newest or most read first. */
      list: (params: PageQuery & { q?: string; sort?: GallerySort }) => page<GalleryComic>('gallery', { ...params }),
      /** An author's public profile and one page of their public comics; 404 for an unknown name. */
      profile: (username: string, params: PageQuery) => paged<Profile>(`profiles/${encodeURIComponent(username)}`, { ...params }),
    },
    moderation: {
      /** What may be reported, each reason with its rule (the Report dialog). */
      reasons: () => data<z.infer<typeof reportReasonInfo>[]>('GET', 'reports/reasons'),
      /** Files (or, while it is open, updates) the caller's report. */
      report: (body: z.input<typeof createReportBody>) => data<z.infer<typeof reportReceipt>>('POST', 'reports', body),
      /** The moderators' queue: reports grouped by target. */
      queue: (params: PageQuery & { status?: 'open' | 'resolved'; targetType?: string }) => page<ReportGroup>('admin/reports', { ...params }),
      /** Newly published comics and public pictures no moderator has acted on, newest first. */
      reviewFeed: (params: PageQuery) => page<z.infer<typeof reviewFeedItem>>('admin/review-feed', { ...params }),
      act: (body: z.input<typeof moderateBody>) => data<ModerationHistoryItem>('POST', 'admin/moderation', body),
      undo: (actionId: string) => data<ModerationHistoryItem>('POST', `admin/moderation/${encodeURIComponent(actionId)}/undo`),
      stats: () => data<z.infer<typeof moderationStats>>('GET', 'admin/moderation/stats'),
      /** One target: its reports, history, appeals and moderator notes. */
      target: (type: string, id: string) => data<TargetView>('GET', `admin/targets/${encodeURIComponent(type)}/${encodeURIComponent(id)}`),
      addNote: (type: string, id: string, body: string) =>
        data<unknown>('POST', `admin/targets/${encodeURIComponent(type)}/${encodeURIComponent(id)}/notes`, { body }),
      /** What happened to the caller's things (moderation, suspension), newest first. */
      notifications: (params: PageQuery & { unread?: boolean }) => page<NotificationItem>('notifications', { ...params, unread: params.unread ? 'true' : undefined }),
      markRead: (ids?: string[]) => data<{ marked: number }>('POST', 'notifications/read', { ids }),
      /** The owner's one appeal against an action on their comic or picture. */
      appeal: (body: z.input<typeof appealBody>) => data<z.infer<typeof appealItem>>('POST', 'appeals', body),
    },
    media: {
      /** One picture the caller may see (public, or theirs, or shared with them). */
      get: (id: string) => data<MediaItem>('GET', `media/${encodeURIComponent(id)}`),
      /** Uploads an image (its type is decided from its bytes); a comic's images are private to its members. */
      upload: (file: Blob, options: { comicId?: string; filename?: string } = {}) => {
        const body = new FormData();
        body.append('file', file, options.filename ?? (file instanceof File ? file.name : 'image'));
        return data<MediaItem>('POST', `media${query({ comicId: options.comicId, privacy: 'private' })}`, body);
      },
    },
  };
}

export type Api = ReturnType<typeof createApi>;

/** The browser's client. In `load` functions, use `createApi(fetch)` with the `fetch` SvelteKit passes. */
export const api = createApi();
