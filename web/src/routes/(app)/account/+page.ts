import { createApi } from '#lib/api.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, parent }) => {
  await parent();
  return { sessions: await createApi(fetch).auth.sessions() };
};
