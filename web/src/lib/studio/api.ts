/**
 * The studio's calls to the API: site status, workflows, jobs and the media library. Built on the request
 * helper of `#lib/api.ts` (its `ApiError`, field errors keyed by the field's last path segment, `Page` results);
 * the browser calls this origin, `load` functions pass SvelteKit's `fetch`.
 */
import type { ComicSummary, JobEvents, JobItem, JobStatus, MediaItem, SiteStatus, WorkflowInfo } from '@inkwell/api/contract';
import { createRequester, type PageQuery } from '#lib/api.ts';

export type { JobEvents, JobItem, JobStatus, MediaItem, SiteStatus, WorkflowInfo };

export function createStudioApi(fetchFn: typeof fetch = fetch) {
  const { data, page } = createRequester(fetchFn);

  const job = (id: string) => `jobs/${encodeURIComponent(id)}`;

  return {
    /** Whether pictures are simulated (no GPU configured). */
    status: () => data<SiteStatus>('GET', 'status'),
    /** Every workflow, with the JSON Schema of its parameters for the caller's role and whether they may run it. */
    workflows: () => data<WorkflowInfo[]>('GET', 'workflows'),
    jobs: {
      create: (body: { workflow: string; params: Record<string, unknown>; target?: { comicId: string; panelId: string } }) => data<JobItem>('POST', 'jobs', body),
      /** My generations, newest first. */
      list: (params: PageQuery & { status?: JobStatus }) => page<JobItem>('jobs', { ...params }),
      get: (id: string) => data<JobItem>('GET', job(id)),
      cancel: (id: string) => data<JobItem>('POST', `${job(id)}/cancel`),
    },
    /** The comics I am a member of (to send a picture to one I may edit). */
    comics: (params: PageQuery) => page<ComicSummary>('comics', { ...params }),
    media: {
      /** My media (uploads and generated results), newest first. */
      list: (params: PageQuery) => page<MediaItem>('media', { ...params }),
      /** Uploads an input image, private to the user (its type is decided from its bytes). */
      upload: (file: File) => {
        const body = new FormData();
        body.append('file', file, file.name);
        return data<MediaItem>('POST', 'media?privacy=private', body);
      },
    },
  };
}

export type StudioApi = ReturnType<typeof createStudioApi>;

/** The browser's client. */
export const studioApi = createStudioApi();

/** Where a job's server-sent events come from (same origin: the session cookie goes along). */
export const jobEventsUrl = (id: string) => `/api/v1/jobs/${encodeURIComponent(id)}/events`;
