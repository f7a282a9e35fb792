/**
 * The public API's request and response shapes, shared by the API (validation, OpenAPI) and the web
 * (a typed client). Everything the web needs to know about the API's JSON lives here.
 */
import { z } from 'zod';
import { PAGE_SCRIPT_LIMITS } from '@inkwell/workflows/page-script';

export const ROLE_NAMES = ['guest', 'user', 'creator', 'admin', 'super_admin'] as const;
export const roleName = z.enum(ROLE_NAMES);
export type RoleName = z.infer<typeof roleName>;

// ---- input rules -------------------------------------------------------------------------------------------

export const email = z.email({ error: 'Enter a valid email address' }).max(254).trim().toLowerCase();
export const username = z
  .string()
  .trim()
  .min(3, 'Username must be at least 3 characters')
  .max(32, 'Username must be at most 32 characters')
  .regex(/^[a-zA-Z0-9_-]+$/, 'Username may contain letters, digits, _ and - only');
/** NIST SP 800-63B: length matters, composition rules do not; the upper bound keeps hashing cheap. */
export const password = z
  .string()
  .min(10, 'Password must be at least 10 characters')
  .max(128, 'Password must be at most 128 characters');
export const uuid = z.uuid({ error: 'Must be a UUID' });
const token = z.string().min(10).max(200);

export const registerBody = z.object({ email, username, password }).strict();
export const loginBody = z
  .object({ login: z.string().trim().min(1, 'Enter your email or username').max(254), password: z.string().min(1).max(128) })
  .strict();
export const changePasswordBody = z
  .object({ currentPassword: z.string().min(1).max(128), newPassword: password })
  .strict();
export const passwordResetRequestBody = z.object({ email }).strict();
export const passwordResetBody = z.object({ token, password }).strict();
export const verifyEmailBody = z.object({ token }).strict();
export const endSessionsQuery = z.object({ keepCurrent: z.enum(['true', 'false']).default('false') }).strict();
export const idParams = z.object({ id: z.string().min(1).max(64) }).strict();
export const uuidParams = z.object({ id: uuid }).strict();

export const pageQuery = {
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
};
export const adminUsersQuery = z
  .object({ ...pageQuery, q: z.string().trim().max(100).optional() })
  .strict();
export const adminUpdateUserBody = z
  .object({ role: roleName.optional(), isActive: z.boolean().optional() })
  .strict()
  .refine((b) => b.role !== undefined || b.isActive !== undefined, 'Give a role or isActive');
export const auditQuery = z
  .object({ ...pageQuery, action: z.string().max(64).optional(), userId: uuid.optional() })
  .strict();

// ---- response data -----------------------------------------------------------------------------------------

export const roleSummary = z.object({ name: roleName, level: z.number().int() });

export const currentUser = z.object({
  id: z.string(),
  email: z.string(),
  username: z.string(),
  role: roleSummary,
  permissions: z.array(z.string()),
  emailVerified: z.boolean(),
  createdAt: z.string(),
});
export type CurrentUser = z.infer<typeof currentUser>;

export const sessionInfo = z.object({
  id: z.string(),
  current: z.boolean(),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string(),
  expiresAt: z.string(),
});
export type SessionInfo = z.infer<typeof sessionInfo>;

export const adminUser = z.object({
  id: z.string(),
  email: z.string(),
  username: z.string(),
  role: roleSummary,
  isActive: z.boolean(),
  emailVerified: z.boolean(),
  createdAt: z.string(),
  /** The end of the latest suspension (in the past once it has ended), and why. */
  suspendedUntil: z.string().nullable(),
  suspensionReason: z.string().nullable(),
});
export type AdminUser = z.infer<typeof adminUser>;

export const roleInfo = roleSummary.extend({ description: z.string().nullable(), permissions: z.array(z.string()) });
export type RoleInfo = z.infer<typeof roleInfo>;

export const auditEntry = z.object({
  id: z.string(),
  userId: z.string().nullable(),
  username: z.string().nullable(),
  action: z.string(),
  resourceType: z.string(),
  resourceId: z.string().nullable(),
  oldValues: z.unknown(),
  newValues: z.unknown(),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntry>;

export const outboxMessage = z.object({
  id: z.string(),
  recipient: z.string(),
  subject: z.string(),
  body: z.string(),
  createdAt: z.string(),
});
export type OutboxMessage = z.infer<typeof outboxMessage>;

// ---- the envelope -----------------------------------------------------------------------------------------

export const pagination = z.object({ page: z.number(), limit: z.number(), total: z.number() });
export type Pagination = z.infer<typeof pagination>;

export const apiError = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});
export type ApiError = z.infer<typeof apiError>;

export type ApiResponse<T> =
  | { success: true; data: T; pagination?: Pagination }
  | { success: false; error: ApiError & { requestId?: string } };

/** Wraps a data schema in the standard success envelope, for response validation and OpenAPI. */
export function ok<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), data });
}
export function okPage<T extends z.ZodType>(item: T) {
  return z.object({ success: z.literal(true), data: z.array(item), pagination });
}

// ---- comics -----------------------------------------------------------------------------------------------

export const COMIC_ROLES = ['owner', 'editor', 'viewer'] as const;
export const comicRole = z.enum(COMIC_ROLES);
export type ComicRole = z.infer<typeof comicRole>;
/** Roles that can be given to someone else: there is one owner. */
export const grantableComicRole = z.enum(['editor', 'viewer']);
export const privacy = z.enum(['public', 'unlisted', 'private']);

export const comicTitle = z.string().trim().min(1, 'Give the comic a title').max(200, 'A title has at most 200 characters');
export const comicDescription = z.string().trim().max(5000, 'A description has at most 5000 characters');

export const createComicBody = z.object({ title: comicTitle, description: comicDescription.optional() }).strict();
export const updateComicBody = z
  .object({ title: comicTitle.optional(), description: comicDescription.nullable().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'Nothing to change');
export const addMemberBody = z.object({ username, role: grantableComicRole }).strict();
export const updateMemberBody = z.object({ role: grantableComicRole }).strict();
export const memberParams = z.object({ id: uuid, userId: uuid }).strict();
export const inviteParams = z.object({ id: uuid, inviteId: z.string().min(1).max(64) }).strict();
export const createInviteBody = z
  .object({ role: grantableComicRole, expiresInDays: z.number().int().min(1).max(30).default(7) })
  .strict();
export const acceptInviteBody = z.object({ token }).strict();
export const comicsQuery = z.object({ ...pageQuery }).strict();
export const exportFormat = z.enum(['pdf', 'cbz', 'png']);
/** `page` picks the page of a PNG export (from 1); PDF and CBZ hold every page. */
export const exportQuery = z.object({ format: exportFormat.default('pdf'), page: z.coerce.number().int().min(1).max(10_000).default(1) }).strict();

export const comicSummary = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  privacy,
  isPublished: z.boolean(),
  thumbnailUrl: z.string().nullable(),
  ownerId: z.string(),
  /** The caller's role on this comic; null when they read a published comic they are not a member of. */
  myRole: comicRole.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ComicSummary = z.infer<typeof comicSummary>;

// ---- publishing and reading --------------------------------------------------------------------------------

/** Who may read a published comic: anyone who finds it (public, listed in the gallery) or anyone with the link. */
export const visibility = z.enum(['public', 'unlisted']);
export type Visibility = z.infer<typeof visibility>;
export const altText = z.string().trim().max(1000, 'An alt text has at most 1000 characters');
export const publishBody = z
  .object({
    visibility,
    /** The page shown as the cover; the first when not given. */
    coverPageIndex: z.number().int().min(0).max(999).optional(),
    /** The author's alt text per panel id; an empty one removes it (the prompt is used again). */
    altTexts: z.record(z.string().min(1).max(128), altText).optional(),
  })
  .strict();
/** Widths the reader's images are served at (srcset): a fixed few, so that each is rendered once and cached. */
export const readerImageWidth = z.enum(['480', '800', '1200', '1600']);
export const READER_IMAGE_WIDTHS = readerImageWidth.options.map(Number);
export const readerImageParams = z
  .object({ id: uuid, snapshotId: uuid, image: z.string().regex(/^(cover|page-\d{1,3})$/, 'cover or page-<n>') })
  .strict();
export const readerImageQuery = z.object({ w: readerImageWidth.optional() }).strict();

export const publication = z.object({
  visibility,
  publishedAt: z.string(),
  /** The reader's address, with the title's slug. */
  readerUrl: z.string(),
  /** The canvas changed since the published version was taken: readers still see the older one. */
  hasUnpublishedChanges: z.boolean(),
});
export type Publication = z.infer<typeof publication>;

/** What the Publish dialog needs: the current publication, and each panel's text, prompt and author's alt text. */
export const publishDraft = z.object({
  publication: publication.nullable(),
  coverPageIndex: z.number().int(),
  pages: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      panels: z.array(z.object({ id: z.string(), text: z.array(z.string()), prompt: z.string().nullable(), altText: z.string().nullable() })),
    }),
  ),
});
export type PublishDraft = z.infer<typeof publishDraft>;

/** A box as fractions of its page image: 0..1 from its left and top edges (may reach past them). */
const fractionBox = z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() });
export const readerImage = z.object({
  /** Served at 1200 pixels wide (or less when the image is smaller); `srcset` lists the other widths. */
  url: z.string(),
  srcset: z.string(),
  width: z.number().int(),
  height: z.number().int(),
});
export const readerLettering = fractionBox.extend({
  id: z.string(),
  kind: z.enum(['speech', 'thought', 'shout', 'caption']),
  /** Where the bubble's tail points, as fractions of the page; null for captions. */
  tail: z.object({ x: z.number(), y: z.number() }).nullable(),
  /** Where the text goes inside the balloon or caption (its padding, the ellipse's inner rectangle). */
  textBox: fractionBox,
  /** Plain text, lines separated by \n: show it as text, never as markup. */
  text: z.string(),
  font: z.string(),
  size: z.string(),
  /** The text's font size as a fraction of the page image's width, so that it scales with the page. */
  fontSize: z.number(),
  align: z.string(),
  /** The ink as a CSS colour (tldraw's light palette, as the page images are drawn). */
  color: z.string(),
});
export const readerPanel = fractionBox.extend({
  id: z.string(),
  /** The author's alt text, or else the prompt that drew the picture, or else a plain description. */
  alt: z.string(),
  /** In reading order. */
  lettering: z.array(readerLettering),
});
export const readerPage = z.object({
  id: z.string(),
  name: z.string(),
  /** Rendered without lettering: the reader lays the text over it. */
  image: readerImage,
  /** In reading order (rows top to bottom, left to right): the guided view steps through them. */
  panels: z.array(readerPanel),
});
export const readerComic = z.object({
  id: z.string(),
  slug: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  author: z.object({ username: z.string() }),
  visibility,
  publishedAt: z.string(),
  readCount: z.number().int(),
  cover: readerImage,
  pages: z.array(readerPage),
});
export type ReaderComic = z.infer<typeof readerComic>;
export type ReaderPage = z.infer<typeof readerPage>;
export type ReaderPanel = z.infer<typeof readerPanel>;
export type ReaderLettering = z.infer<typeof readerLettering>;

// ---- finding comics ----------------------------------------------------------------------------------------

/** `recent`: newest publication first; `popular`: most read first. Without it a search is ranked by relevance. */
export const gallerySort = z.enum(['recent', 'popular']);
export type GallerySort = z.infer<typeof gallerySort>;
export const galleryQuery = z
  .object({
    ...pageQuery,
    /** Words as in a web search engine: `"a phrase"`, `or`, `-without`; over title, author, description and bubble text. */
    q: z.string().trim().max(200, 'A search has at most 200 characters').optional(),
    sort: gallerySort.optional(),
  })
  .strict();
export const profileParams = z.object({ username: z.string().min(1).max(32) }).strict();
export const profileQuery = z.object({ ...pageQuery }).strict();

/** A public comic as the gallery and profiles list it: its published title and description, and a small cover. */
export const galleryComic = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  author: z.object({ username: z.string() }),
  /** The cover at 480 pixels wide; `srcset` adds 800 for dense screens. */
  cover: readerImage,
  publishedAt: z.string(),
  readCount: z.number().int(),
  /** The reader's page on this site (a path), with the title's slug. */
  readerUrl: z.string(),
});
export type GalleryComic = z.infer<typeof galleryComic>;

/** An author's public profile: nothing but their name, since when, and their public comics (paginated). */
export const profile = z.object({ username: z.string(), joinedAt: z.string(), comics: z.array(galleryComic) });
export type Profile = z.infer<typeof profile>;

// ---- moderation ------------------------------------------------------------------------------------------

/** Why something may be reported, each with the rule it breaks: the Report dialog lists them. */
export const REPORT_REASONS = [
  { id: 'spam', label: 'Spam', rule: 'No advertising, scams, or the same thing posted over and over.' },
  { id: 'harassment', label: 'Harassment', rule: 'No bullying, threats, or targeting a person or group with hate.' },
  { id: 'sexual', label: 'Sexual content', rule: 'No sexual content, and never anything sexual involving minors.' },
  { id: 'violence', label: 'Violence', rule: 'No gore, or content that glorifies or incites real violence.' },
  { id: 'illegal', label: 'Illegal', rule: 'Nothing that breaks the law or helps others break it.' },
  { id: 'copyright', label: 'Copyright', rule: "Only post work you made or have the right to share." },
  { id: 'other', label: 'Other', rule: 'Something else that breaks the community rules: say what in the details.' },
] as const;
export const reportReason = z.enum(REPORT_REASONS.map((r) => r.id) as [ReportReasonId, ...ReportReasonId[]]);
type ReportReasonId = (typeof REPORT_REASONS)[number]['id'];
export type ReportReason = z.infer<typeof reportReason>;
export const reportReasonInfo = z.object({ id: reportReason, label: z.string(), rule: z.string() });
export const reportTargetType = z.enum(['comic', 'media', 'user']);
export type ReportTargetType = z.infer<typeof reportTargetType>;
export const moderationActionName = z.enum(['hide', 'remove', 'restore', 'dismiss', 'warn']);
export type ModerationActionName = z.infer<typeof moderationActionName>;
export const moderationState = z.enum(['visible', 'hidden', 'removed']);

export const createReportBody = z
  .object({
    targetType: reportTargetType,
    /** The comic's or picture's id; a user's id or username (profiles show names, not ids). */
    targetId: z.union([uuid, username]),
    reason: reportReason,
    details: z.string().trim().max(2000, 'Details have at most 2000 characters').optional(),
  })
  .strict()
  .refine((b) => b.targetType === 'user' || uuid.safeParse(b.targetId).success, { path: ['targetId'], message: 'Must be a UUID' });
/** What the reporter gets back: their own report, never anyone else's. */
export const reportReceipt = z.object({
  id: z.string(),
  targetType: reportTargetType,
  targetId: z.string(),
  reason: reportReason,
  status: z.enum(['open', 'resolved']),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const moderateBody = z
  .object({
    targetType: reportTargetType,
    targetId: uuid,
    action: moderationActionName,
    /** Shown to the owner: what was done and why. */
    reason: z.string().trim().min(1, 'Give a reason').max(2000),
    rule: reportReason.optional(),
    /** The reports this action settles; all of the target's open reports when not given. */
    reportIds: z.array(uuid).max(500).optional(),
  })
  .strict();
export const actionParams = z.object({ actionId: uuid }).strict();
export const targetParams = z.object({ type: reportTargetType, id: uuid }).strict();
export const adminReportsQuery = z
  .object({ ...pageQuery, status: z.enum(['open', 'resolved']).default('open'), targetType: reportTargetType.optional() })
  .strict();
export const reviewFeedQuery = z.object({ ...pageQuery }).strict();
export const noteBody = z.object({ body: z.string().trim().min(1, 'Write a note').max(5000) }).strict();
export const suspendBody = z
  .object({ until: z.iso.datetime({ offset: true, error: 'An ISO date and time' }), reason: z.string().trim().min(1, 'Give a reason').max(2000) })
  .strict();
export const appealBody = z.object({ actionId: uuid, message: z.string().trim().min(1, 'Write your appeal').max(5000) }).strict();
export const markReadBody = z.object({ ids: z.array(uuid).max(100).optional() }).strict();
export const notificationsQuery = z
  .object({ ...pageQuery, unread: z.enum(['true', 'false']).optional().describe('`true`: only unread ones (the count is the pagination total)') })
  .strict();

const moderationSnapshot = z.object({ state: moderationState, rule: z.string().nullable(), reason: z.string().nullable() });
/** A moderator's view of a target: what it is, whose, and its state; a comic's preview is its published cover, never the editor. */
export const moderationTarget = z.object({
  type: reportTargetType,
  id: z.string(),
  exists: z.boolean(),
  title: z.string().nullable(),
  imageUrl: z.string().nullable(),
  /** The reader's page or the picture's address, for a look at it as readers see it. */
  url: z.string().nullable(),
  owner: z.object({ id: z.string(), username: z.string() }).nullable(),
  /** Null for users, who are suspended rather than hidden. */
  moderation: moderationSnapshot.nullable(),
  suspendedUntil: z.string().nullable(),
});
export const moderationHistoryItem = z.object({
  id: z.string(),
  action: moderationActionName,
  rule: z.string().nullable(),
  reason: z.string(),
  moderator: z.string().nullable(),
  oldState: moderationSnapshot.nullable(),
  newState: moderationSnapshot.nullable(),
  createdAt: z.string(),
  undoneAt: z.string().nullable(),
});
export type ModerationHistoryItem = z.infer<typeof moderationHistoryItem>;
/** A report as moderators read it: the reporter is never named. */
export const reportItem = z.object({ id: z.string(), reason: reportReason, details: z.string().nullable(), status: z.string(), createdAt: z.string(), updatedAt: z.string() });
export const appealItem = z.object({ id: z.string(), actionId: z.string(), message: z.string(), status: z.string(), createdAt: z.string() });
export const reportGroup = z.object({
  target: moderationTarget,
  reportCount: z.number().int(),
  reasons: z.record(z.string(), z.number().int()),
  firstReportedAt: z.string().nullable(),
  lastReportedAt: z.string().nullable(),
  reports: z.array(reportItem),
  history: z.array(moderationHistoryItem),
  appeals: z.array(appealItem),
});
export type ReportGroup = z.infer<typeof reportGroup>;
export const moderatorNote = z.object({ id: z.string(), author: z.string().nullable(), body: z.string(), createdAt: z.string() });
export const targetView = z.object({
  target: moderationTarget,
  reports: z.array(reportItem),
  history: z.array(moderationHistoryItem),
  notes: z.array(moderatorNote),
  appeals: z.array(appealItem),
});
export type TargetView = z.infer<typeof targetView>;
export const reviewFeedItem = z.object({ target: moderationTarget, publishedAt: z.string() });
export const moderationStats = z.object({
  /** Median seconds from a target's first report to the first action on it; null before any. */
  medianSecondsToFirstAction: z.number().nullable(),
  actedTargets: z.number().int(),
  openReports: z.number().int(),
  openAppeals: z.number().int(),
});
export const suspension = z.object({ userId: z.string(), suspendedUntil: z.string().nullable(), reason: z.string().nullable() });
export const notificationItem = z.object({ id: z.string(), kind: z.string(), payload: z.record(z.string(), z.unknown()), readAt: z.string().nullable(), createdAt: z.string() });
export type NotificationItem = z.infer<typeof notificationItem>;
/** What the owner of a moderated comic is told on its detail: the state, the rule and reason, and their appeal. */
export const ownerModeration = z.object({
  state: moderationState,
  rule: z.string().nullable(),
  reason: z.string().nullable(),
  /** The action to appeal against (the latest that is not undone), if any. */
  actionId: z.string().nullable(),
  appeal: z.object({ status: z.string(), createdAt: z.string() }).nullable(),
});
export type OwnerModeration = z.infer<typeof ownerModeration>;

export const comicDetail = comicSummary.extend({
  panels: z.unknown(),
  publication: publication.nullable(),
  /** For the owner only: what moderators decided; null when nothing was. */
  moderation: ownerModeration.nullable().optional(),
});
export type ComicDetail = z.infer<typeof comicDetail>;

export const comicMember = z.object({ userId: z.string(), username: z.string(), role: comicRole, addedAt: z.string() });
export type ComicMember = z.infer<typeof comicMember>;

export const comicInvite = z.object({
  id: z.string(),
  role: grantableComicRole,
  expiresAt: z.string(),
  createdAt: z.string(),
  /** Only in the answer that creates it: the secret is not stored and cannot be shown again. */
  url: z.string().optional(),
});
export type ComicInvite = z.infer<typeof comicInvite>;

export const comicAccess = z.object({
  userId: z.string(),
  username: z.string(),
  role: comicRole,
  /** The id (never the secret) of the caller's session, or of the one their collab token came from: its connections close when it ends. */
  sessionId: z.string(),
});
export type ComicAccess = z.infer<typeof comicAccess>;

export const collabToken = z.object({ token: z.string(), expiresAt: z.string() });

// ---- media ------------------------------------------------------------------------------------------------

export const uploadMediaQuery = z.object({ privacy: privacy.default('private'), comicId: uuid.optional() }).strict();
export const updateMediaBody = z
  .object({ privacy: privacy.optional(), filename: z.string().trim().min(1).max(255).optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'Nothing to change');
export const MEDIA_KINDS = ['image', 'video', 'gif'] as const;
export const mediaKind = z.enum(MEDIA_KINDS);
export type MediaKind = z.infer<typeof mediaKind>;
export const MEDIA_SORTS = ['newest', 'oldest', 'name', 'size'] as const;
export type MediaSort = (typeof MEDIA_SORTS)[number];
export const mediaQuery = z
  .object({
    ...pageQuery,
    /** Words of the name, or of the prompt that made it. */
    q: z.string().trim().max(200).optional(),
    kind: mediaKind.optional(),
    /** Uploaded into, or generated for, this comic. */
    comicId: uuid.optional(),
    privacy: privacy.optional(),
    sort: z.enum(MEDIA_SORTS).default('newest'),
  })
  .strict();
export type MediaQuery = z.infer<typeof mediaQuery>;

export const mediaItem = z.object({
  id: z.string(),
  filename: z.string(),
  mimeType: z.string(),
  /** A still image, a short clip or a GIF: what made it, else what it is. */
  kind: mediaKind,
  /** The prompt of a generated picture; null for an upload. */
  prompt: z.string().nullable(),
  fileSize: z.number(),
  privacy,
  width: z.number().nullable(),
  height: z.number().nullable(),
  url: z.string(),
  thumbnailUrl: z.string().nullable(),
  comicId: z.string().nullable(),
  ownerId: z.string(),
  createdAt: z.string(),
});
export type MediaItem = z.infer<typeof mediaItem>;

/** The comics whose pages show a picture: those the caller is a member of by title, the others counted. */
export const mediaUsage = z.object({
  comics: z.array(z.object({ id: z.string(), title: z.string() })),
  otherComics: z.number(),
});
export type MediaUsage = z.infer<typeof mediaUsage>;

/** "Use in a comic" (the panel is a `panelTarget`): the picture the panel shows, the comic's own copy. */
export const placedMedia = z.object({ mediaId: z.string(), comicId: z.string(), panelId: z.string() });

// ---- generation -------------------------------------------------------------------------------------------

export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export const jobStatus = z.enum(JOB_STATUSES);
/** What a generation makes (the catalogue's job types). */
export const JOB_TYPES = ['image', 'video', 'gif', 'comic'] as const;
export type JobType = (typeof JOB_TYPES)[number];
export type JobStatus = z.infer<typeof jobStatus>;

export const panelTarget = z.object({ comicId: uuid, panelId: z.string().trim().min(1).max(128).regex(/^shape:[\w-]+$/, 'Not a panel id') }).strict();
export const createJobBody = z
  .object({
    workflow: z.string().min(1).max(64),
    params: z.record(z.string(), z.unknown()),
    target: panelTarget.optional(),
  })
  .strict();
export const jobsQuery = z
  .object({
    ...pageQuery,
    status: jobStatus.optional(),
    type: z.enum(JOB_TYPES).optional(),
    /** Words of the prompt. */
    q: z.string().trim().max(200).optional(),
  })
  .strict();

export const jobItem = z.object({
  id: z.string(),
  workflow: z.string(),
  type: z.string(),
  status: jobStatus,
  progress: z.number(),
  params: z.record(z.string(), z.unknown()),
  target: z.object({ comicId: z.string(), panelId: z.string() }).nullable(),
  result: mediaItem.nullable(),
  error: z.string().nullable(),
  /** How many jobs are ahead in the queue, while queued. */
  queuePosition: z.number().nullable(),
  processingTimeMs: z.number().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
});
export type JobItem = z.infer<typeof jobItem>;

export const workflowInfo = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  jobType: z.string(),
  permission: z.string(),
  /** Whether the caller's role may run it. */
  allowed: z.boolean(),
  params: z.unknown(),
  imageParams: z.array(z.string()),
});
export type WorkflowInfo = z.infer<typeof workflowInfo>;

/** Server-sent events of GET /api/v1/jobs/:id/events, by event name. */
export interface JobEvents {
  state: JobItem;
  queued: { position: number };
  started: Record<string, never>;
  progress: { percent: number; step?: number; steps?: number; preview?: string };
  retrying: { message: string };
  done: JobItem;
  failed: JobItem;
  cancelled: JobItem;
}

export const siteStatus = z.object({
  /** Pictures come from the ComfyUI simulator (no GPU configured): placeholders, plainly labelled. */
  generationSimulated: z.boolean(),
});
export type SiteStatus = z.infer<typeof siteStatus>;

// ---- version history (its request and answer shapes are in versions-contract.ts) -----------------------

export const VERSION_KINDS = ['auto', 'named', 'publish', 'restore'] as const;
export type VersionKind = (typeof VERSION_KINDS)[number];
/**
 * Each version is a whole copy of the document, so none may pile up without end: a comic keeps at most this
 * many named versions (saving another is refused until one is deleted)...
 */
export const MAX_NAMED_VERSIONS = 100;
/** ...and of those taken before a restore and at a publish, the newest this many of each kind (older ones go). */
export const KEPT_VERSIONS_PER_KIND = 20;
/** The kinds an editor may delete; automatic ones thin out by themselves, and publish versions record what readers saw. */
export const DELETABLE_VERSION_KINDS: readonly VersionKind[] = ['named', 'restore'];

// ---- comments on the canvas ------------------------------------------------------------------------------
// Comment text is plain text: it is never read as HTML.

/** tldraw record ids: `shape:…`, `page:…`. */
const recordId = (kind: 'shape' | 'page') => z.string().regex(new RegExp(`^${kind}:[A-Za-z0-9_-]{1,64}$`), `Must be a ${kind} id (${kind}:…)`);
/** Far beyond any page, yet finite. */
const coordinate = z.number().min(-1_000_000).max(1_000_000);

export const COMMENT_MAX_LENGTH = 4000;
// Every collaborator loads all of a comic's comments on the canvas, so they may not pile up without end: one
// more thread or reply than these is refused (409) until one is deleted. Resolved threads count until deleted.
export const MAX_COMMENT_THREADS = 500;
export const MAX_COMMENT_REPLIES = 200;
export const commentText = z
  .string()
  .trim()
  .min(1, 'Write a comment')
  .max(COMMENT_MAX_LENGTH, `A comment has at most ${COMMENT_MAX_LENGTH} characters`);

/** Where a thread is pinned: to a shape (a panel, a bubble…), following it, or to a point on a page. */
export const commentAnchor = z.union([
  z.object({ shapeId: recordId('shape') }).strict(),
  z.object({ pageId: recordId('page'), x: coordinate, y: coordinate }).strict(),
]);
export type CommentAnchor = z.infer<typeof commentAnchor>;

/** A new thread names its anchor; a reply names the comment it answers (and sits in that one's thread). */
export const createCommentBody = z
  .object({ body: commentText, anchor: commentAnchor.optional(), parentId: uuid.optional() })
  .strict()
  .refine((b) => (b.anchor === undefined) !== (b.parentId === undefined), { message: 'A new thread gives an anchor, a reply a parentId (one of them)', path: ['anchor'] });

/** `{ body }` edits one's own comment; `{ resolved }` resolves or reopens its whole thread. */
export const updateCommentBody = z
  .object({ body: commentText.optional(), resolved: z.boolean().optional() })
  .strict()
  .refine((b) => (b.body === undefined) !== (b.resolved === undefined), 'Give either body or resolved');

export const commentParams = z.object({ id: uuid, commentId: uuid }).strict();

export const commentItem = z.object({
  id: z.string(),
  /** Null when the account is gone. */
  author: z.object({ id: z.string(), username: z.string() }).nullable(),
  body: z.string(),
  editedAt: z.string().nullable(),
  createdAt: z.string(),
});
export type CommentItem = z.infer<typeof commentItem>;

export const commentThread = commentItem.extend({
  anchor: commentAnchor,
  resolvedAt: z.string().nullable(),
  /** Who resolved it (null when open, or when that account is gone). */
  resolvedBy: z.string().nullable(),
  /** Oldest first. */
  replies: z.array(commentItem),
});
export type CommentThread = z.infer<typeof commentThread>;

// ---- page scripts ------------------------------------------------------------------------------------------

export { PAGE_SCRIPT_FORMAT, PAGE_SCRIPT_LIMITS, type ScriptError, parsePageScript, pictureSize } from '@inkwell/workflows/page-script';

/** A tldraw page id, as the comic's summary lists it. */
export const pageScriptParams = z.object({ id: uuid, pageId: z.string().regex(/^page:[\w-]{1,64}$/, 'Not a page id') }).strict();

export const pageScriptBody = z
  .object({
    script: z.string().max(PAGE_SCRIPT_LIMITS.script, `A script has at most ${PAGE_SCRIPT_LIMITS.script} characters`),
    /** The panel workflow; each block's description is its prompt and the panel's proportions its size. */
    workflow: z.string().min(1).max(64).default('comic-panel'),
    /** Settings shared by every panel (style, steps…), as `POST /jobs` takes them. */
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const pageScriptBatch = z.object({
  batchId: z.string(),
  /** One job per block, in the order of the page's panels. */
  jobs: z.array(jobItem),
});
export type PageScriptBatch = z.infer<typeof pageScriptBatch>;
