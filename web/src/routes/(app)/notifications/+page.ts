import { createApi } from '#lib/api.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, url }) => {
  const page = Number(url.searchParams.get('page')) || 1;
  return { notifications: await createApi(fetch).moderation.notifications({ page, limit: 20 }) };
};
