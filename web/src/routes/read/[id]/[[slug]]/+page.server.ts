import { error, redirect } from '@sveltejs/kit';
import { PUBLIC_URL } from '$app/env/private';
import { ApiError, createApi } from '#lib/api.ts';
import type { PageServerLoad } from './$types';

/** The published comic, at its address with the title's slug (an old or mistyped slug is redirected). */
export const load: PageServerLoad = async ({ fetch, params, url }) => {
  const comic = await createApi(fetch)
    .read.comic(params.id)
    .catch((failure: unknown) => {
      // Not published, private, no such comic, or not even an id: all the same to a reader.
      if (failure instanceof ApiError && (failure.status === 404 || failure.status === 400)) error(404, 'Comic not found');
      throw failure;
    });
  if (params.slug !== undefined && params.slug !== comic.slug) redirect(308, `/read/${comic.id}/${comic.slug}`);
  // Link previews need absolute addresses.
  return { comic, origin: PUBLIC_URL || url.origin };
};
