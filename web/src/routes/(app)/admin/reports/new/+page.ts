import { error } from '@sveltejs/kit';
import { createApi } from '#lib/api.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, parent, url }) => {
  const { user } = await parent();
  if (!can(user, 'moderation:review')) error(403, 'The review feed needs the moderation:review permission.');
  const page = Number(url.searchParams.get('page')) || 1;
  return { feed: await createApi(fetch).moderation.reviewFeed({ page, limit: 20 }) };
};
