import { redirect } from '@sveltejs/kit';
import { createApi, foundOr404 } from '#lib/api.ts';
import type { PageLoad } from './$types';

/**
 * The published comic, at its address with the title's slug (an old or mistyped slug is redirected).
 *
 * A universal load: the server inlines the API's answer in the page as it came (one JSON.stringify), the
 * browser hydrates from it, and a later visit within the site asks the API directly. Returned from a server
 * load, the same comic was serialised by devalue for every page view: a third of the web server's time for a
 * 60-panel comic.
 */
export const load: PageLoad = async ({ fetch, params }) => {
  const comic = await foundOr404(createApi(fetch).read.comic(params.id), 'Comic not found');
  if (params.slug !== undefined && params.slug !== comic.slug) redirect(308, `/read/${comic.id}/${comic.slug}`);
  return { comic };
};
