/**
 * The public API's request and response shapes, shared by the API (validation, OpenAPI) and the web
 * (a typed client). Everything the web needs to know about the API's JSON lives here.
 */
import { z } from 'zod';

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
