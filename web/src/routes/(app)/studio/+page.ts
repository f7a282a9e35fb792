import { error } from '@sveltejs/kit';
import { can } from '#lib/permissions.ts';
import { JOB_TYPES, type JobType } from '@inkwell/api/contract';
import { createStudioApi } from '#lib/studio/api.ts';
import type { PageLoad } from './$types';

/** Generations shown per page of the gallery. */
const GALLERY_PAGE = 12;

export const load: PageLoad = async ({ fetch, parent, url }) => {
  const { user } = await parent();
  if (!can(user, 'jobs:create')) {
    error(403, 'Generating pictures needs the jobs:create permission, which your account does not have.');
  }
  const studio = createStudioApi(fetch);
  const page = Number(url.searchParams.get('page')) || 1;
  const q = url.searchParams.get('q')?.trim().slice(0, 200) ?? '';
  const type = (JOB_TYPES as readonly string[]).includes(url.searchParams.get('type') ?? '') ? (url.searchParams.get('type') as JobType) : '';
  const [status, workflows, jobs] = await Promise.all([
    studio.status(),
    studio.workflows(),
    studio.jobs.list({ page, limit: GALLERY_PAGE, q: q || undefined, type: type || undefined }),
  ]);
  return { status, workflows, jobs, filter: { q, type } };
};
