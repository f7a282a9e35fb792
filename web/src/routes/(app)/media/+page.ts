import { MEDIA_KINDS, MEDIA_SORTS, type MediaKind, type MediaQuery, type MediaSort, privacy } from '@inkwell/api/contract';
import { createStudioApi } from '#lib/studio/api.ts';
import type { PageLoad } from './$types';

/** Pictures per page of the library. */
const PAGE_SIZE = 24;

const oneOf = <T extends string>(values: readonly T[], value: string | null): T | undefined =>
  values.includes(value as T) ? (value as T) : undefined;

/** My uploads and generations, as the filters in the address ask; and my comics, to filter by and to use in. */
export const load: PageLoad = async ({ fetch, url }) => {
  const studio = createStudioApi(fetch);
  const params = url.searchParams;
  const query: MediaQuery = {
    page: Math.max(1, Number(params.get('page')) || 1),
    limit: PAGE_SIZE,
    q: params.get('q')?.trim().slice(0, 200) || undefined,
    kind: oneOf<MediaKind>(MEDIA_KINDS, params.get('kind')),
    privacy: oneOf(privacy.options, params.get('privacy')),
    comicId: /^[0-9a-f-]{36}$/i.test(params.get('comic') ?? '') ? params.get('comic')! : undefined,
    sort: oneOf<MediaSort>(MEDIA_SORTS, params.get('sort')) ?? 'newest',
  };
  const [media, comics] = await Promise.all([studio.media.list(query), studio.comics({ page: 1, limit: 100 })]);
  return { query, media, comics: comics.items };
};
