import { createApi } from '#lib/api.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, parent, url }) => {
  const { user } = await parent();
  const api = createApi(fetch);
  const q = url.searchParams.get('q') ?? '';
  const page = Number(url.searchParams.get('page')) || 1;
  const [users, roles, moderation] = await Promise.all([
    api.admin.users({ q, page, limit: 20 }),
    api.admin.roles(),
    can(user, 'moderation:review') ? api.moderation.stats() : null,
  ]);
  return { q, users, roles, moderation };
};
