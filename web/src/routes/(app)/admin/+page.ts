import { createApi } from '#lib/api.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, parent, url }) => {
  await parent();
  const api = createApi(fetch);
  const q = url.searchParams.get('q') ?? '';
  const page = Number(url.searchParams.get('page')) || 1;
  const [users, roles] = await Promise.all([api.admin.users({ q, page, limit: 20 }), api.admin.roles()]);
  return { q, users, roles };
};
