import { createApi } from '#lib/api.ts';
import type { PageServerLoad } from './$types';

/** How many covers a page holds: fills rows of 2, 3 and 4. */
const PER_PAGE = 24;

/** The gallery as the address asks for it: `?q=` to search, `?sort=recent|popular`, `?page=`. */
export const load: PageServerLoad = async ({ fetch, url }) => {
  const q = url.searchParams.get('q')?.trim().slice(0, 200) || undefined;
  const asked = url.searchParams.get('sort');
  // An unknown order is ignored rather than answered with an error page.
  const sort = asked === 'recent' || asked === 'popular' ? asked : undefined;
  const page = Math.max(1, Number(url.searchParams.get('page')) || 1);
  return { q, sort, comics: await createApi(fetch).gallery.list({ q, sort, page, limit: PER_PAGE }) };
};
