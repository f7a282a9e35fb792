/**
 * The studio's calls to the API: site status, workflows, jobs and the media library. Built on the request
 * helper of `#lib/api.ts` (its `ApiError`, field errors keyed by the field's last path segment, `Page` results);
 * the browser calls this origin, `load` functions pass SvelteKit's `fetch`.
 */
import type { ComicDetail, ComicSummary, JobEvents, JobItem, JobStatus, JobType, MediaItem, MediaQuery, MediaUsage, SiteStatus, WorkflowInfo } from '@inkwell/api/contract';
import { createRequester, type PageQuery } from '#lib/api.ts';

export type { JobEvents, JobItem, JobStatus, JobType, MediaItem, MediaQuery, MediaUsage, SiteStatus, WorkflowInfo };

export function createStudioApi(fetchFn: typeof fetch = fetch) {
  const { data, page } = createRequester(fetchFn);

  const job = (id: string) => `jobs/${encodeURIComponent(id)}`;
  const item = (id: string) => `media/${encodeURIComponent(id)}`;

  return {
    /** Whether pictures are simulated (no GPU configured). */
    status: () => data<SiteStatus>('GET', 'status'),
    /** Every workflow, with the JSON Schema of its parameters for the caller's role and whether they may run it. */
    workflows: () => data<WorkflowInfo[]>('GET', 'workflows'),
    jobs: {
      create: (body: { workflow: string; params: Record<string, unknown>; target?: { comicId: string; panelId: string } }) => data<JobItem>('POST', 'jobs', body),
      /** My generations, newest first: by state, type and words of the prompt. */
      list: (params: PageQuery & { status?: JobStatus; type?: JobType; q?: string }) => page<JobItem>('jobs', { ...params }),
      get: (id: string) => data<JobItem>('GET', job(id)),
      cancel: (id: string) => data<JobItem>('POST', `${job(id)}/cancel`),
      /** Deletes an ended generation and its picture. */
      remove: (id: string) => data<unknown>('DELETE', job(id)),
    },
    /** The comics I am a member of (to send a picture to one I may edit). */
    comics: (params: PageQuery) => page<ComicSummary>('comics', { ...params }),
    /** One comic, with its pages and panels (the summary) for its members. */
    comic: (id: string) => data<ComicDetail>('GET', `comics/${encodeURIComponent(id)}`),
    media: {
      /** My media (uploads and generated results): search, filters and order as the library asks. */
      list: (params: PageQuery & Partial<Omit<MediaQuery, 'page' | 'limit'>>) => page<MediaItem>('media', { ...params }),
      /** Uploads an image, private to the user (its type is decided from its bytes). */
      upload: (file: File) => {
        const body = new FormData();
        body.append('file', file, file.name);
        return data<MediaItem>('POST', 'media?privacy=private', body);
      },
      update: (id: string, change: { filename?: string; privacy?: MediaItem['privacy'] }) => data<MediaItem>('PATCH', item(id), change),
      remove: (id: string) => data<unknown>('DELETE', item(id)),
      /** The comics that show the picture (what deleting it would break). */
      usage: (id: string) => data<MediaUsage>('GET', `${item(id)}/usage`),
      /** Fits the picture into a comic's panel, under its lettering, for everyone on the comic. */
      place: (id: string, target: { comicId: string; panelId: string }) => data<{ mediaId: string }>('POST', `${item(id)}/place`, target),
    },
  };
}

export type StudioApi = ReturnType<typeof createStudioApi>;

/** The browser's client. */
export const studioApi = createStudioApi();

/** Where a job's server-sent events come from (same origin: the session cookie goes along). */
export const jobEventsUrl = (id: string) => `/api/v1/jobs/${encodeURIComponent(id)}/events`;
