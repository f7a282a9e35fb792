import { error } from '@sveltejs/kit';
import { createApi } from '#lib/api.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, parent }) => {
  const { user } = await parent();
  if (!can(user, 'queues:manage')) error(403, 'The system page needs the queues:manage permission.');
  return { system: await createApi(fetch).operations.system() };
};
