import { error } from '@sveltejs/kit';
import { ApiError, createApi } from '#lib/api.ts';
import type { PageServerLoad } from './$types';

/** A picture the viewer may see: public to everyone, others only to those the API lets see them. */
export const load: PageServerLoad = async ({ fetch, params }) => {
  const media = await createApi(fetch)
    .media.get(params.id)
    .catch((failure: unknown) => {
      // Private, hidden, deleted or not even an id: all the same to a visitor.
      if (failure instanceof ApiError && (failure.status === 404 || failure.status === 400)) error(404, 'Picture not found');
      throw failure;
    });
  return { media };
};
