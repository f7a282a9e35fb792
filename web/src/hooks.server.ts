import type { Handle, HandleFetch, HandleServerError } from '@sveltejs/kit/hooks';
import type { RequestEvent } from '@sveltejs/kit';
import type { CurrentUser } from '@inkwell/api/contract';
import { API_INTERNAL_URL } from '$app/env/private';
import { apiErrorPage } from '#lib/api.ts';

/**
 * A request to the API on behalf of the browser that made `event`: its cookie, user agent and address go
 * along, so the API sees the same session and client it would see through the front server's proxy.
 */
async function forward(event: RequestEvent, request: Request): Promise<Request> {
  const url = new URL(request.url);
  const headers = new Headers(request.headers);
  for (const name of ['cookie', 'user-agent'] as const) {
    const value = event.request.headers.get(name);
    if (value) headers.set(name, value);
  }
  const chain = event.request.headers.get('x-forwarded-for');
  const client = event.getClientAddress();
  headers.set('x-forwarded-for', chain ? `${chain}, ${client}` : client);
  headers.set('x-forwarded-proto', event.url.protocol.replace(':', ''));
  const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
  return new Request(`${API_INTERNAL_URL}${url.pathname}${url.search}`, { method: request.method, headers, body });
}

async function currentUser(event: RequestEvent): Promise<{ user: CurrentUser | null; setCookies: string[] }> {
  if (!event.request.headers.has('cookie')) return { user: null, setCookies: [] };
  try {
    const response = await fetch(await forward(event, new Request(new URL('/api/v1/auth/me', event.url))));
    const body = (await response.json()) as { success: boolean; data?: CurrentUser };
    return { user: response.ok && body.success ? (body.data ?? null) : null, setCookies: response.headers.getSetCookie() };
  } catch (error) {
    const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    console.error(`GET /api/v1/auth/me failed (${reason}); rendering the page signed out`);
    return { user: null, setCookies: [] };
  }
}

/** The CSP comes from svelte.config.js; these are the other headers every page carries. */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  'cross-origin-opener-policy': 'same-origin',
};

/** Knows the signed-in user before any page renders, and passes on the API's renewed or cleared session cookie. */
export const handle: Handle = async ({ event, resolve }) => {
  const { user, setCookies } = await currentUser(event);
  event.locals.user = user;
  const response = await resolve(event);
  for (const cookie of setCookies) response.headers.append('set-cookie', cookie);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (!response.headers.has(name)) response.headers.set(name, value);
  }
  return response;
};

/** `fetch('/api/...')` in a `load` function goes straight to the API, as the browser's own session. */
export const handleFetch: HandleFetch = async ({ event, request, fetch }) => {
  const url = new URL(request.url);
  if (url.origin === event.url.origin && url.pathname.startsWith('/api/')) {
    return globalThis.fetch(await forward(event, request));
  }
  return fetch(request);
};

export const handleError: HandleServerError = ({ error }) => apiErrorPage(error);
