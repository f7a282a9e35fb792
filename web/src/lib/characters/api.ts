/**
 * A comic's character library and style lock, and whom a panel's picture was drawn with: the Characters
 * dialog and the panel tools call these (built on the request helper of `#lib/api.ts`).
 */
import type { CastMember, Character, CreateCharacterBody, StyleLock, UpdateCharacterBody } from '@inkwell/api/characters-contract';
import { createRequester } from '#lib/api.ts';

export type { CastMember, Character, StyleLock };

export function createCharactersApi(fetchFn: typeof fetch = fetch) {
  const { data } = createRequester(fetchFn);
  const comic = (id: string) => `comics/${encodeURIComponent(id)}`;
  const character = (comicId: string, id: string) => `${comic(comicId)}/characters/${encodeURIComponent(id)}`;

  return {
    list: (comicId: string) => data<Character[]>('GET', `${comic(comicId)}/characters`),
    create: (comicId: string, body: CreateCharacterBody) => data<Character>('POST', `${comic(comicId)}/characters`, body),
    update: (comicId: string, id: string, body: UpdateCharacterBody) => data<Character>('PATCH', character(comicId, id), body),
    remove: (comicId: string, id: string) => data<Record<string, never>>('DELETE', character(comicId, id)),
    /** The characters the picture of a panel job was drawn with. */
    castOfJob: (comicId: string, jobId: string) => data<CastMember[]>('GET', `${comic(comicId)}/jobs/${encodeURIComponent(jobId)}/characters`),
    styleLock: (comicId: string) => data<StyleLock>('GET', `${comic(comicId)}/style-lock`),
    setStyleLock: (comicId: string, lock: StyleLock) => data<StyleLock>('PUT', `${comic(comicId)}/style-lock`, lock),
  };
}

export const charactersApi = createCharactersApi();
