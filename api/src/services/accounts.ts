import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database, RoleName } from '@inkwell/db';
import { DEFAULT_ROLE, schema } from '@inkwell/db';
import { AppError, badRequest, conflict } from '../errors.ts';
import { hashPassword, verifyDecoy, verifyPassword } from '../lib/passwords.ts';
import { issueToken, parseToken, secretMatches } from '../lib/tokens.ts';
import type { AuditService } from './audit.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { Mailer } from './mail.ts';
import type { Auth, ClientInfo, SessionService } from './sessions.ts';

const { emailTokens, roles, users } = schema;

const VERIFY_EMAIL_TTL_MS = 24 * 60 * 60 * 1000;
const RESET_PASSWORD_TTL_MS = 60 * 60 * 1000;

type TokenPurpose = 'verify_email' | 'reset_password';

export interface NewSession {
  userId: string;
  token: string;
  expiresAt: Date;
}

export function createAccountService(deps: {
  db: Database;
  sessions: Pick<SessionService, 'create' | 'revokeAll' | 'revoke' | 'forgetUser'>;
  audit: Pick<AuditService, 'record'>;
  mailer: Mailer;
  throttle: LoginThrottle;
  publicUrl: string;
}) {
  const { db, sessions, audit, mailer, throttle, publicUrl } = deps;

  async function roleId(name: RoleName): Promise<number> {
    const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.name, name));
    if (!role) throw new Error(`role ${name} is missing: run the migrations`);
    return role.id;
  }

  async function issueEmailToken(userId: string, purpose: TokenPurpose, ttlMs: number): Promise<string> {
    const { id, token, secretHash } = issueToken();
    // A new link replaces any earlier one of the same purpose.
    await db.delete(emailTokens).where(and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose)));
    await db.insert(emailTokens).values({ id, userId, purpose, secretHash, expiresAt: new Date(Date.now() + ttlMs) });
    return token;
  }

  /** Spends a mailed token once; returns its user, or throws the same error for every kind of bad token. */
  async function consumeEmailToken(token: string, purpose: TokenPurpose): Promise<string> {
    const invalid = badRequest('invalid_token', 'This link is invalid or has expired');
    const parsed = parseToken(token);
    if (!parsed) throw invalid;
    const live = and(eq(emailTokens.id, parsed.id), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt), sql`${emailTokens.expiresAt} > now()`);
    const [row] = await db.select({ userId: emailTokens.userId, secretHash: emailTokens.secretHash }).from(emailTokens).where(live);
    // A wrong secret must not spend the real link.
    if (!row || !secretMatches(parsed.secret, row.secretHash)) throw invalid;
    // Spent in one statement, so that two uses racing each other cannot both succeed.
    const spent = await db.update(emailTokens).set({ usedAt: new Date() }).where(live).returning({ id: emailTokens.id });
    if (spent.length === 0) throw invalid;
    return row.userId;
  }

  async function createUser(input: { email: string; username: string; password: string; role: RoleName }) {
    const passwordHash = await hashPassword(input.password);
    try {
      const [user] = await db
        .insert(users)
        .values({ email: input.email, username: input.username, passwordHash, roleId: await roleId(input.role) })
        .returning({ id: users.id });
      return user!;
    } catch (error) {
      // drizzle wraps the driver's error; the unique index that refused the row is on its cause.
      const constraint = (error as { cause?: { constraint_name?: string } }).cause?.constraint_name;
      if (constraint === 'users_email_lower_key') throw conflict('email_taken', 'An account with this email already exists');
      if (constraint === 'users_username_lower_key') throw conflict('username_taken', 'This username is taken');
      throw error;
    }
  }

  async function sendVerification(userId: string, email: string): Promise<void> {
    const token = await issueEmailToken(userId, 'verify_email', VERIFY_EMAIL_TTL_MS);
    await mailer.send({
      to: email,
      subject: 'Confirm your email for Inkwell',
      text: `Confirm your email address by opening this link within 24 hours:\n\n${publicUrl}/verify-email?token=${token}\n`,
    });
  }

  return {
    createUser,

    async register(input: { email: string; username: string; password: string }, client: ClientInfo): Promise<NewSession> {
      const user = await createUser({ ...input, role: DEFAULT_ROLE });
      await audit.record({ actorId: user.id, action: 'auth.register', resourceType: 'user', resourceId: user.id, client });
      await sendVerification(user.id, input.email);
      const session = await sessions.create(user.id, client);
      await audit.record({ actorId: user.id, action: 'auth.sign_in', resourceType: 'session', resourceId: session.id, client });
      return { userId: user.id, token: session.token, expiresAt: session.expiresAt };
    },

    async login(input: { login: string; password: string }, client: ClientInfo): Promise<NewSession> {
      const login = input.login.toLowerCase();
      const [user] = await db
        .select({ id: users.id, passwordHash: users.passwordHash, isActive: users.isActive })
        .from(users)
        .where(login.includes('@') ? sql`lower(${users.email}) = ${login}` : sql`lower(${users.username}) = ${login}`);
      // Failures are counted per account, whichever name or address was typed; unknown names per text.
      const throttleKey = user ? `account:${user.id}` : `login:${login}`;
      await throttle.assertAllowed(throttleKey);
      const valid = user ? await verifyPassword(user.passwordHash, input.password) : await verifyDecoy(input.password);
      if (!user || !valid) {
        await throttle.recordFailure(throttleKey);
        await audit.record({
          actorId: user?.id ?? null,
          action: 'auth.sign_in_failed',
          resourceType: 'user',
          resourceId: user?.id ?? null,
          newValues: { login: input.login.slice(0, 254) },
          client,
        });
        throw new AppError(401, 'invalid_credentials', 'The email, username or password is wrong');
      }
      await throttle.reset(throttleKey);
      if (!user.isActive) {
        await audit.record({
          actorId: user.id,
          action: 'auth.sign_in_failed',
          resourceType: 'user',
          resourceId: user.id,
          newValues: { reason: 'account_disabled' },
          client,
        });
        throw new AppError(403, 'account_disabled', 'This account has been deactivated');
      }
      const session = await sessions.create(user.id, client);
      await audit.record({ actorId: user.id, action: 'auth.sign_in', resourceType: 'session', resourceId: session.id, client });
      return { userId: user.id, token: session.token, expiresAt: session.expiresAt };
    },

    async logout(auth: Auth, client: ClientInfo): Promise<void> {
      await sessions.revoke(auth.user.id, auth.sessionId);
      await audit.record({ actorId: auth.user.id, action: 'auth.sign_out', resourceType: 'session', resourceId: auth.sessionId, client });
    },

    /** Changes the password, ends every other session and gives this one a fresh token. */
    async changePassword(
      auth: Auth,
      input: { currentPassword: string; newPassword: string },
      client: ClientInfo,
    ): Promise<NewSession> {
      // The same per-account limit as sign-in: a stolen cookie must not become a password oracle.
      const throttleKey = `account:${auth.user.id}`;
      await throttle.assertAllowed(throttleKey);
      const [user] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, auth.user.id));
      if (!user || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
        await throttle.recordFailure(throttleKey);
        throw badRequest('wrong_password', 'The current password is wrong', [
          { path: 'currentPassword', message: 'The current password is wrong' },
        ]);
      }
      await db
        .update(users)
        .set({ passwordHash: await hashPassword(input.newPassword), updatedAt: new Date() })
        .where(eq(users.id, auth.user.id));
      await sessions.revokeAll(auth.user.id);
      const session = await sessions.create(auth.user.id, client);
      await audit.record({ actorId: auth.user.id, action: 'auth.password_changed', resourceType: 'user', resourceId: auth.user.id, client });
      return { userId: auth.user.id, token: session.token, expiresAt: session.expiresAt };
    },

    async requestEmailVerification(auth: Auth): Promise<void> {
      if (auth.user.emailVerified) throw conflict('already_verified', 'Your email address is already verified');
      await sendVerification(auth.user.id, auth.user.email);
    },

    async verifyEmail(token: string, client: ClientInfo): Promise<void> {
      const userId = await consumeEmailToken(token, 'verify_email');
      await db.update(users).set({ emailVerified: true, updatedAt: new Date() }).where(eq(users.id, userId));
      await sessions.forgetUser(userId);
      await audit.record({ actorId: userId, action: 'auth.email_verified', resourceType: 'user', resourceId: userId, client });
    },

    /** Sends a reset link if the address belongs to an active account; says nothing either way. */
    async requestPasswordReset(email: string, client: ClientInfo): Promise<void> {
      const [user] = await db
        .select({ id: users.id, isActive: users.isActive })
        .from(users)
        .where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
      if (!user || !user.isActive) return;
      const token = await issueEmailToken(user.id, 'reset_password', RESET_PASSWORD_TTL_MS);
      await mailer.send({
        to: email,
        subject: 'Reset your Inkwell password',
        text:
          `Someone asked to reset the password of your Inkwell account. If it was you, open this link within an hour:\n\n` +
          `${publicUrl}/reset-password?token=${token}\n\nIf it was not you, ignore this mail: your password stays as it is.\n`,
      });
      await audit.record({ actorId: user.id, action: 'auth.password_reset_requested', resourceType: 'user', resourceId: user.id, client });
    },

    /** Sets a new password from a mailed link and ends every session of the account. */
    async resetPassword(input: { token: string; password: string }, client: ClientInfo): Promise<void> {
      const userId = await consumeEmailToken(input.token, 'reset_password');
      await db
        .update(users)
        .set({ passwordHash: await hashPassword(input.password), updatedAt: new Date() })
        .where(eq(users.id, userId));
      await sessions.revokeAll(userId);
      await audit.record({ actorId: userId, action: 'auth.password_reset', resourceType: 'user', resourceId: userId, client });
    },

  };
}

export type AccountService = ReturnType<typeof createAccountService>;
