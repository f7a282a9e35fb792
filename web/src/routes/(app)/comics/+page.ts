import { createApi } from '#lib/api.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, parent, url }) => {
  await parent();
  const page = Number(url.searchParams.get('page')) || 1;
  return { comics: await createApi(fetch).comics.list({ page, limit: 24 }) };
};
