import { createApi, foundOr404 } from '#lib/api.ts';
import type { PageServerLoad } from './$types';

const PER_PAGE = 24;

/** An author's public profile: their name, since when, and their public comics. */
export const load: PageServerLoad = async ({ fetch, params, url }) => {
  const page = Math.max(1, Number(url.searchParams.get('page')) || 1);
  const { data: profile, pagination } = await foundOr404(createApi(fetch).gallery.profile(params.username, { page, limit: PER_PAGE }), 'No author by that name');
  return { profile, pagination };
};
