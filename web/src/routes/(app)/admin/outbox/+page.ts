import { error } from '@sveltejs/kit';
import { createApi } from '#lib/api.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, parent, url }) => {
  const { user } = await parent();
  if (!can(user, 'outbox:read')) error(403, 'Reading the mail outbox needs the outbox:read permission.');
  const page = Number(url.searchParams.get('page')) || 1;
  return { messages: await createApi(fetch).admin.outbox({ page, limit: 10 }) };
};
