/**
 * Roles and permissions: the one source of truth. The migration step upserts these rows into `roles`,
 * and the API checks a caller's permissions against the same names.
 */
export const PERMISSIONS = [
  'account:manage', // own profile, sessions, password
  'comics:read', // read published comics and public media
  'comics:create',
  'media:upload',
  'jobs:create', // image generation
  'jobs:create-advanced', // video and GIF generation, larger limits
  'content:publish',
  'reports:create',
  'moderation:review', // review published content and reports
  'users:read',
  'users:manage', // change roles below one's own level, deactivate accounts
  'audit:read',
  'queues:manage',
  'outbox:read', // development mail outbox
  'roles:manage', // assign the admin role, manage admins
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_NAMES = ['guest', 'user', 'creator', 'admin', 'super_admin'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface RoleDefinition {
  name: RoleName;
  level: number;
  description: string;
  permissions: readonly Permission[];
}

const guest: Permission[] = ['comics:read'];
const user: Permission[] = [...guest, 'account:manage', 'comics:create', 'media:upload', 'jobs:create', 'reports:create'];
const creator: Permission[] = [...user, 'jobs:create-advanced', 'content:publish'];
const admin: Permission[] = [
  ...creator,
  'moderation:review',
  'users:read',
  'users:manage',
  'audit:read',
  'queues:manage',
  'outbox:read',
];
const superAdmin: Permission[] = [...admin, 'roles:manage'];

export const ROLES: readonly RoleDefinition[] = [
  { name: 'guest', level: 1, description: 'A visitor who is not signed in', permissions: guest },
  { name: 'user', level: 2, description: 'A registered member', permissions: user },
  { name: 'creator', level: 3, description: 'Publishes work and generates video and GIFs', permissions: creator },
  { name: 'admin', level: 4, description: 'Moderates content and manages users', permissions: admin },
  { name: 'super_admin', level: 5, description: 'Manages admins and roles', permissions: superAdmin },
];

export const DEFAULT_ROLE: RoleName = 'user';

export function roleByName(name: RoleName): RoleDefinition {
  const role = ROLES.find((r) => r.name === name);
  if (!role) throw new Error(`unknown role ${name}`);
  return role;
}
