import { redirect } from '@sveltejs/kit';
import { safeNext } from '#lib/permissions.ts';
import type { LayoutLoad } from './$types';

/** Signing in or registering while signed in goes where it would have led. */
export const load: LayoutLoad = async ({ parent, url }) => {
  const { user } = await parent();
  if (user) redirect(303, safeNext(url));
};
