// What the comic pages say about roles and share links, and small helpers they share.
import type { ComicRole } from '@inkwell/api/contract';

export const ROLE_LABELS: Record<ComicRole, string> = { owner: 'Owner', editor: 'Editor', viewer: 'Viewer' };

export const ROLE_HINTS: Record<Exclude<ComicRole, 'owner'>, string> = {
  editor: 'can change the comic',
  viewer: 'can only look',
};

/** Roles the owner can give to someone else. */
export const GRANTABLE_ROLES = ['editor', 'viewer'] as const satisfies readonly ComicRole[];

export const canEdit = (role: ComicRole | null | undefined) => role === 'owner' || role === 'editor';
export const isOwner = (role: ComicRole | null | undefined) => role === 'owner';

/** The token at the end of a share link (`…/invite/<token>`). */
export function inviteToken(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

/** Copies text to the clipboard; false when the browser would not (no permission, or no secure context). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
