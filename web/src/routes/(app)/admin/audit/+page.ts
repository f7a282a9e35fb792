import { error } from '@sveltejs/kit';
import { createApi } from '#lib/api.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, parent, url }) => {
  const { user } = await parent();
  if (!can(user, 'audit:read')) error(403, 'Reading the audit log needs the audit:read permission.');
  const action = url.searchParams.get('action') ?? '';
  const page = Number(url.searchParams.get('page')) || 1;
  return { action, entries: await createApi(fetch).admin.audit({ action: action || undefined, page, limit: 25 }) };
};
