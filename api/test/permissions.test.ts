import cookie from '@fastify/cookie';
import { and, eq } from 'drizzle-orm';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RoleName, schema } from '@inkwell/db';
import { authPlugin, sessionCookie } from '../src/plugins/auth.ts';
import { errorHandler } from '../src/plugins/errors.ts';
import {
  type TestApp,
  type TestUser,
  createTestApp,
  expectError,
  login,
  me,
  randomIp,
  registerUser,
  sessionIds,
  testConfig,
} from './helper.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

type Method = 'GET' | 'PATCH';
interface AdminRoute {
  method: Method;
  url: (targetId: string) => string;
  payload?: object;
  /** The lowest role allowed in. */
  needs: RoleName;
}

// PATCH uses an unchanged value, so that the calls that get through change nothing.
const ADMIN_ROUTES: AdminRoute[] = [
  { method: 'GET', url: () => '/api/v1/admin/users', needs: 'admin' },
  { method: 'PATCH', url: (id) => `/api/v1/admin/users/${id}`, payload: { isActive: true }, needs: 'admin' },
  { method: 'GET', url: () => '/api/v1/admin/roles', needs: 'admin' },
  { method: 'GET', url: () => '/api/v1/admin/audit', needs: 'admin' },
  { method: 'GET', url: () => '/api/v1/admin/outbox', needs: 'admin' },
];

const call = (route: AdminRoute, targetId: string, cookie?: string) =>
  t.app.inject({
    method: route.method,
    url: route.url(targetId),
    ...(route.payload && { payload: route.payload }),
    headers: cookie ? { cookie } : {},
  });

const patchUser = (actor: TestUser, targetId: string, payload: object) =>
  t.app.inject({ method: 'PATCH', url: `/api/v1/admin/users/${targetId}`, payload, headers: { cookie: actor.cookie } });

const signIn = (user: TestUser, password = user.password) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: user.username, password }, remoteAddress: randomIp() });

async function auditRowsFor(targetId: string, action: string) {
  return t.db
    .select()
    .from(schema.auditLogs)
    .where(and(eq(schema.auditLogs.resourceId, targetId), eq(schema.auditLogs.action, action)));
}

async function roleOf(userId: string): Promise<string> {
  const [row] = await t.db
    .select({ name: schema.roles.name })
    .from(schema.users)
    .innerJoin(schema.roles, eq(schema.roles.id, schema.users.roleId))
    .where(eq(schema.users.id, userId));
  return row!.name;
}

describe('admin routes are closed to everyone below admin', () => {
  let people: Record<'user' | 'creator' | 'admin' | 'super_admin', TestUser>;
  let target: TestUser;
  beforeAll(async () => {
    people = {
      user: await registerUser(t.app),
      creator: await registerUser(t.app, 'creator', t.db),
      admin: await registerUser(t.app, 'admin', t.db),
      super_admin: await registerUser(t.app, 'super_admin', t.db),
    };
    target = await registerUser(t.app);
  });

  for (const route of ADMIN_ROUTES) {
    const name = `${route.method} ${route.url(':id')}`;

    it(`${name}: a visitor gets 401`, async () => {
      expectError(await call(route, target.id), 401, 'unauthenticated');
    });

    it(`${name}: user and creator get 403`, async () => {
      for (const role of ['user', 'creator'] as const) {
        const response = await call(route, target.id, people[role].cookie);
        expectError(response, 403, 'forbidden');
      }
    });

    it(`${name}: admin and super admin get 200`, async () => {
      for (const role of ['admin', 'super_admin'] as const) {
        const response = await call(route, target.id, people[role].cookie);
        expect(response.statusCode, `${role}: ${response.body}`).toBe(200);
        expect(response.json().success).toBe(true);
      }
    });
  }

  it('an admin sees users, roles with their permissions, and the audit log', async () => {
    const users = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/users?q=${target.username}`,
      headers: { cookie: people.admin.cookie },
    });
    expect(users.json()).toMatchObject({
      success: true,
      data: [{ id: target.id, username: target.username, role: { name: 'user', level: 2 }, isActive: true }],
      pagination: { page: 1, limit: 20, total: 1 },
    });
    expect(users.body).not.toContain('password');

    const roles = (await t.app.inject({ method: 'GET', url: '/api/v1/admin/roles', headers: { cookie: people.admin.cookie } })).json()
      .data as { name: string; level: number; permissions: string[] }[];
    expect(roles.map((r) => [r.name, r.level])).toEqual([
      ['guest', 1],
      ['user', 2],
      ['creator', 3],
      ['admin', 4],
      ['super_admin', 5],
    ]);
    expect(roles.find((r) => r.name === 'admin')!.permissions).toContain('users:manage');
    expect(roles.find((r) => r.name === 'admin')!.permissions).not.toContain('roles:manage');

    const audit = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/audit?userId=${target.id}&action=auth.register`,
      headers: { cookie: people.admin.cookie },
    });
    expect(audit.json().data).toEqual([expect.objectContaining({ userId: target.id, username: target.username, action: 'auth.register' })]);
  });

  it('the refused calls changed nothing', async () => {
    expect(await roleOf(target.id)).toBe('user');
    expect((await me(t.app, target.cookie)).statusCode).toBe(200);
  });
});

describe('changing roles', () => {
  it('an admin promotes a user to creator: audited, and the user must sign in again', async () => {
    const admin = await registerUser(t.app, 'admin', t.db);
    const target = await registerUser(t.app);
    const otherDevice = await login(t.app, target.username, target.password);

    const response = await patchUser(admin, target.id, { role: 'creator' });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({ id: target.id, role: { name: 'creator', level: 3 }, isActive: true });
    expect(await roleOf(target.id)).toBe('creator');

    const [row, ...more] = await auditRowsFor(target.id, 'user.role_changed');
    expect(more).toHaveLength(0);
    expect(row).toMatchObject({ userId: admin.id, resourceType: 'user', oldValues: { role: 'user' }, newValues: { role: 'creator' } });

    // New privileges come with a new session: the old ones are gone.
    for (const cookie of [target.cookie, otherDevice]) expectError(await me(t.app, cookie), 401, 'unauthenticated');
    expect(await sessionIds(t.db, target.id)).toEqual([]);
    const fresh = await login(t.app, target.username, target.password);
    const who = (await me(t.app, fresh)).json().data;
    expect(who.role).toEqual({ name: 'creator', level: 3 });
    expect(who.permissions).toContain('content:publish');
  });

  it('an admin may not grant admin, touch another admin, or change themself', async () => {
    const admin = await registerUser(t.app, 'admin', t.db);
    const otherAdmin = await registerUser(t.app, 'admin', t.db);
    const target = await registerUser(t.app);

    for (const [targetId, payload] of [
      [target.id, { role: 'admin' }],
      [target.id, { role: 'super_admin' }],
      [otherAdmin.id, { role: 'user' }],
      [otherAdmin.id, { isActive: false }],
      [admin.id, { role: 'super_admin' }],
      [admin.id, { isActive: false }],
    ] as const) {
      const response = await patchUser(admin, targetId, payload);
      expectError(response, 403, 'forbidden');
    }

    expect(await roleOf(target.id)).toBe('user');
    expect(await roleOf(otherAdmin.id)).toBe('admin');
    expect(await roleOf(admin.id)).toBe('admin');
    for (const user of [admin, otherAdmin, target]) expect((await me(t.app, user.cookie)).statusCode).toBe(200);
    expect(await auditRowsFor(target.id, 'user.role_changed')).toHaveLength(0);
  });

  it('nobody can be made a guest', async () => {
    const admin = await registerUser(t.app, 'admin', t.db);
    const target = await registerUser(t.app);
    expectError(await patchUser(admin, target.id, { role: 'guest' }), 400, 'invalid_role');
    expect(await roleOf(target.id)).toBe('user');
  });

  it('an unknown user id answers 404', async () => {
    const admin = await registerUser(t.app, 'admin', t.db);
    expectError(await patchUser(admin, crypto.randomUUID(), { role: 'creator' }), 404, 'not_found');
  });

  it('a super admin may grant admin, and manage admins', async () => {
    const superAdmin = await registerUser(t.app, 'super_admin', t.db);
    const target = await registerUser(t.app);

    const response = await patchUser(superAdmin, target.id, { role: 'admin' });
    expect(response.statusCode).toBe(200);
    expect(response.json().data.role).toEqual({ name: 'admin', level: 4 });
    expect(await auditRowsFor(target.id, 'user.role_changed')).toEqual([
      expect.objectContaining({ userId: superAdmin.id, oldValues: { role: 'user' }, newValues: { role: 'admin' } }),
    ]);

    const promoted = await login(t.app, target.username, target.password);
    const outbox = await t.app.inject({ method: 'GET', url: '/api/v1/admin/outbox', headers: { cookie: promoted } });
    expect(outbox.statusCode).toBe(200);

    const back = await patchUser(superAdmin, target.id, { role: 'user' });
    expect(back.statusCode).toBe(200);
    expect(await roleOf(target.id)).toBe('user');
    // The demoted admin's session ended with the change.
    expectError(await me(t.app, promoted), 401, 'unauthenticated');
  });
});

describe('deactivating accounts', () => {
  it('ends the user’s sessions at once and refuses their sign-in until reactivated', async () => {
    const admin = await registerUser(t.app, 'admin', t.db);
    const target = await registerUser(t.app);
    const otherDevice = await login(t.app, target.username, target.password);
    expect((await me(t.app, target.cookie)).statusCode).toBe(200);

    const response = await patchUser(admin, target.id, { isActive: false });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({ id: target.id, isActive: false });

    for (const cookie of [target.cookie, otherDevice]) expectError(await me(t.app, cookie), 401, 'unauthenticated');
    const refused = await signIn(target);
    expectError(refused, 403, 'account_disabled');
    expect(refused.cookies).toHaveLength(0);
    // A wrong password still gets the ordinary answer, so the lock says nothing to someone guessing.
    expectError(await signIn(target, 'not the password'), 401, 'invalid_credentials');
    expect(await auditRowsFor(target.id, 'user.deactivated')).toEqual([
      expect.objectContaining({ userId: admin.id, oldValues: { isActive: true }, newValues: { isActive: false } }),
    ]);

    const reactivated = await patchUser(admin, target.id, { isActive: true });
    expect(reactivated.statusCode).toBe(200);
    expect(reactivated.json().data.isActive).toBe(true);
    const again = await signIn(target);
    expect(again.statusCode).toBe(200);
    expect(await auditRowsFor(target.id, 'user.reactivated')).toHaveLength(1);
  });
});

describe('every API route states its permission', () => {
  async function appWith(config: { permission?: 'public' | 'comics:read'; comicRole?: 'viewer' } | undefined, url = '/api/v1/forgotten') {
    const app = Fastify();
    await app.register(errorHandler);
    await app.register(cookie);
    await app.register(authPlugin, { sessions: { validate: async () => null }, cookie: sessionCookie(false), publicOrigin: 'http://localhost:3000' });
    // Not awaited: the routes plugin loads during ready(), as in buildApp.
    void app.register(async (api) => {
      api.get(url, { ...(config && { config }) }, async () => ({ ok: true }));
    });
    // Wrapped: a Fastify instance is thenable, and returning it bare would await its boot here.
    return { app };
  }

  it('a /api/v1 route without a permission stops the app from starting', async () => {
    const { app } = await appWith(undefined);
    await expect(app.ready()).rejects.toThrow(/GET \/api\/v1\/forgotten does not declare the permission/);
    await app.close().catch(() => {});
  });

  it('a route on one comic without the least comic role it needs stops the app from starting', async () => {
    const { app } = await appWith({ permission: 'comics:read' }, '/api/v1/comics/:id/forgotten');
    await expect(app.ready()).rejects.toThrow(/GET \/api\/v1\/comics\/:id\/forgotten does not declare the comic role/);
    await app.close().catch(() => {});
    const declared = await appWith({ permission: 'comics:read', comicRole: 'viewer' }, '/api/v1/comics/:id/forgotten');
    await declared.app.ready();
    await declared.app.close();
  });

  it('the same route with a permission starts and answers', async () => {
    const { app } = await appWith({ permission: 'public' });
    await app.ready();
    expect((await app.inject({ method: 'GET', url: '/api/v1/forgotten' })).json()).toEqual({ ok: true });
    await app.close();
  });
});

describe('cross-origin writes', () => {
  it('refuses a write from another origin, even with a valid cookie, and does nothing', async () => {
    const user = await registerUser(t.app);
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { cookie: user.cookie, origin: 'https://evil.example' },
    });
    expectError(response, 403, 'cross_origin');
    expect((await me(t.app, user.cookie)).statusCode).toBe(200);

    const deleteAll = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/auth/sessions',
      headers: { cookie: user.cookie, origin: 'https://evil.example' },
    });
    expectError(deleteAll, 403, 'cross_origin');
    expect(await sessionIds(t.db, user.id)).toHaveLength(1);
  });

  it('accepts writes from the site’s own origin and reads from anywhere', async () => {
    const user = await registerUser(t.app);
    const read = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: user.cookie, origin: 'https://evil.example' } });
    expect(read.statusCode).toBe(200);
    const own = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { cookie: user.cookie, origin: new URL(testConfig().publicUrl).origin },
    });
    expect(own.statusCode).toBe(200);
    expectError(await me(t.app, user.cookie), 401, 'unauthenticated');
  });
});
