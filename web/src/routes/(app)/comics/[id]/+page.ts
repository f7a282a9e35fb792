import { error } from '@sveltejs/kit';
import { createApi } from '#lib/api.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, params, parent }) => {
  await parent();
  const api = createApi(fetch);
  const comic = await api.comics.get(params.id);
  // A published comic is readable by anyone, but the live canvas is for its members.
  if (!comic.myRole) error(403, 'Only the comic’s members can open it on the canvas.');
  const [members, invites] = await Promise.all([
    api.comics.members(comic.id),
    comic.myRole === 'owner' ? api.comics.invites(comic.id) : Promise.resolve([]),
  ]);
  return { comic, members, invites };
};
