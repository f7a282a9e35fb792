import { error } from '@sveltejs/kit';
import { createApi } from '#lib/api.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, parent }) => {
  const { user } = await parent();
  if (!can(user, 'queues:manage')) error(403, 'The ComfyUI instances need the queues:manage permission.');
  return { instances: await createApi(fetch).operations.instances() };
};
