/** A page of a listing, as the `page` and `limit` query parameters ask for it. */
export interface PageRequest {
  page: number;
  limit: number;
}

/**
 * Runs a listing's page query and its count side by side. `rows` gets the window to apply
 * (`.limit(limit).offset(offset)`); `count` answers `[{ total }]`, as drizzle's `count()` does.
 */
export async function paginate<T>(
  request: PageRequest,
  rows: (window: { limit: number; offset: number }) => PromiseLike<T[]>,
  count: PromiseLike<{ total: number }[]>,
): Promise<{ items: T[]; total: number }> {
  const [items, [counted]] = await Promise.all([rows({ limit: request.limit, offset: (request.page - 1) * request.limit }), count]);
  return { items, total: counted?.total ?? 0 };
}
