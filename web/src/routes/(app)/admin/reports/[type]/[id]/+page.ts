import { error } from '@sveltejs/kit';
import { createApi } from '#lib/api.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, parent, params }) => {
  const { user } = await parent();
  if (!can(user, 'moderation:review')) error(403, 'Moderation needs the moderation:review permission.');
  return { view: await createApi(fetch).moderation.target(params.type, params.id) };
};
