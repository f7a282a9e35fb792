import { error } from '@sveltejs/kit';
import { createApi } from '#lib/api.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, parent, url }) => {
  const { user } = await parent();
  if (!can(user, 'queues:manage')) error(403, 'The job queues need the queues:manage permission.');
  const api = createApi(fetch).operations;
  const queues = await api.queues();
  const selected = queues.find((q) => q.name === url.searchParams.get('queue'))?.name ?? queues[0]?.name ?? 'generation';
  const page = Number(url.searchParams.get('page')) || 1;
  return { queues, selected, failed: await api.failedJobs(selected, { page, limit: 20 }) };
};
