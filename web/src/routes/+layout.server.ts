import { PUBLIC_URL } from '$app/env/private';
import type { LayoutServerLoad } from './$types';

/**
 * Who is signed in, and the site's configured address (for absolute links in link previews; empty when
 * unset, and then pages use the request's origin). Neither depends on the URL, so navigating does not
 * load this again.
 */
export const load: LayoutServerLoad = ({ locals }) => ({ user: locals.user, publicUrl: PUBLIC_URL });
