import { error } from '@sveltejs/kit';
import { createApi } from '#lib/api.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, parent, url }) => {
  const { user } = await parent();
  if (!can(user, 'moderation:review')) error(403, 'The reports queue needs the moderation:review permission.');
  const status = url.searchParams.get('status') === 'resolved' ? 'resolved' : 'open';
  const targetType = url.searchParams.get('targetType') ?? '';
  const page = Number(url.searchParams.get('page')) || 1;
  const api = createApi(fetch);
  const [groups, stats] = await Promise.all([api.moderation.queue({ status, targetType: targetType || undefined, page, limit: 20 }), api.moderation.stats()]);
  return { status, targetType, groups, stats };
};
