/**
 * The studio's calls to the API: site status, workflows, jobs and the media library. Same conventions as
 * `#lib/api.ts` (its `ApiError`, field errors keyed by the field's last path segment, `Page` results); the
 * browser calls this origin, `load` functions pass SvelteKit's `fetch`.
 */
import type { ComicSummary, JobEvents, JobItem, JobStatus, MediaItem, Pagination, SiteStatus, WorkflowInfo } from '@inkwell/api/contract';
import { ApiError, type FieldErrors, type Page, type PageQuery } from '#lib/api.ts';

export type { JobEvents, JobItem, JobStatus, MediaItem, SiteStatus, WorkflowInfo };

type Method = 'GET' | 'POST';

/** `params.width` → `width`: the studio's fields are named after the workflow's parameters. */
function fieldErrors(details: unknown): FieldErrors {
  if (!Array.isArray(details)) return {};
  const fields: FieldErrors = {};
  for (const issue of details as { path?: unknown; message?: unknown }[]) {
    if (typeof issue?.message !== 'string') continue;
    const path = Array.isArray(issue.path) ? issue.path.join('.') : String(issue.path ?? '');
    const name = path.split('.').at(-1) ?? '';
    fields[name] ??= issue.message;
  }
  return fields;
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function createStudioApi(fetchFn: typeof fetch = fetch) {
  async function send<T>(method: Method, path: string, body?: unknown): Promise<{ data: T; pagination?: Pagination }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    // A FormData body (an upload) sets its own multipart content type, boundary included.
    const form = body instanceof FormData;
    if (body !== undefined && !form) headers['content-type'] = 'application/json';
    const payloadBody = body === undefined ? undefined : form ? body : JSON.stringify(body);
    const response = await fetchFn(`/api/v1/${path}`, { method, headers, body: payloadBody });
    const payload = (await response.json().catch(() => null)) as
      | { success: true; data: T; pagination?: Pagination }
      | { success: false; error: { code: string; message: string; details?: unknown } }
      | null;
    if (response.ok && payload?.success) return payload;
    const error = payload && !payload.success ? payload.error : undefined;
    throw new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `The server answered ${response.status} ${response.statusText}`.trim(),
      fieldErrors(error?.details),
    );
  }

  const data = async <T>(method: Method, path: string, body?: unknown) => (await send<T>(method, path, body)).data;

  async function page<T>(path: string, params: Record<string, string | number | undefined>): Promise<Page<T>> {
    const { data: items, pagination } = await send<T[]>('GET', `${path}${query(params)}`);
    return { items, pagination: pagination ?? { page: 1, limit: items.length, total: items.length } };
  }

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
