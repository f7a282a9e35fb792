import { error } from '@sveltejs/kit';
import { ApiError, createApi } from '#lib/api.ts';
import type { PageServerLoad } from './$types';

const PER_PAGE = 24;

/** An author's public profile: their name, since when, and their public comics. */
export const load: PageServerLoad = async ({ fetch, params, url }) => {
  const page = Math.max(1, Number(url.searchParams.get('page')) || 1);
  const { data: profile, pagination } = await createApi(fetch)
    .gallery.profile(params.username, { page, limit: PER_PAGE })
    .catch((failure: unknown) => {
      // No such user, or not even a possible name: the same missing page.
      if (failure instanceof ApiError && (failure.status === 404 || failure.status === 400)) error(404, 'No author by that name');
      throw failure;
    });
  return { profile, pagination };
};
