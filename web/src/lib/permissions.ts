import type { CurrentUser } from '@inkwell/api/contract';

/** Whether the user holds `permission`; the API decides for real, this only shapes what the UI offers. */
export function can(user: CurrentUser | null, permission: string): boolean {
  return user?.permissions.includes(permission) ?? false;
}

/** What these helpers read of a URL; `page.url` is a read-only URL. */
type UrlLike = Pick<URL, 'pathname' | 'search'> & { searchParams: Pick<URLSearchParams, 'get'> };

/** `/login?next=<here>`, so signing in comes back to the page that asked for it. */
export function loginUrl(url: UrlLike): string {
  return `/login?next=${encodeURIComponent(url.pathname + url.search)}`;
}

/** The `next` parameter if it is a path on this site, else `fallback` (no open redirects). */
export function safeNext(url: UrlLike, fallback = '/account'): string {
  const next = url.searchParams.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : fallback;
}
