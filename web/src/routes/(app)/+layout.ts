import { redirect } from '@sveltejs/kit';
import { loginUrl } from '#lib/permissions.ts';
import type { LayoutLoad } from './$types';

/** Every page in this group needs a signed-in user; others are sent to sign in and brought back. */
export const load: LayoutLoad = async ({ parent, url }) => {
  const { user } = await parent();
  if (!user) redirect(303, loginUrl(url));
  return { user };
};
