import { error } from '@sveltejs/kit';
import { can } from '#lib/permissions.ts';
import type { LayoutLoad } from './$types';

export const load: LayoutLoad = async ({ parent }) => {
  const { user } = await parent();
  if (!can(user, 'users:read')) error(403, 'The admin area is for administrators.');
};
