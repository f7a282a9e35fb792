import { createApi, foundOr404 } from '#lib/api.ts';
import type { PageServerLoad } from './$types';

/** A picture the viewer may see: public to everyone, others only to those the API lets see them. */
export const load: PageServerLoad = async ({ fetch, params }) => ({
  media: await foundOr404(createApi(fetch).media.get(params.id), 'Picture not found'),
});
