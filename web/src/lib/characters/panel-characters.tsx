// The canvas's side of the character library (React, inside tldraw's UI): the Generate form's choice of up to
// three of the comic's characters, and the line that says whom a panel's picture was drawn with.
import { useEffect, useState } from 'react';
import { type CastMember, type Character, charactersApi } from './api.ts';
import './panel-characters.css';

export const MAX_PANEL_CHARACTERS = 3;

/** Up to three characters of the comic's library, in the order chosen. */
export function CharacterPicker({ comicId, value, onChange }: { comicId: string; value: string[]; onChange: (ids: string[]) => void }) {
  const [characters, setCharacters] = useState<Character[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    charactersApi.list(comicId).then(setCharacters, (failure: unknown) => {
      setCharacters([]);
      setError(failure instanceof Error ? failure.message : 'The characters could not be loaded.');
    });
  }, [comicId]);

  if (characters === null) return null;
  const toggle = (id: string) => onChange(value.includes(id) ? value.filter((v) => v !== id) : [...value, id]);
  return (
    <fieldset className="inkwell-generate__characters">
      <legend>
        Characters{value.length ? ` (${value.length} of ${MAX_PANEL_CHARACTERS})` : ''}
      </legend>
      {error ? <p className="inkwell-generate__error" role="alert">{error}</p> : null}
      {characters.length === 0 && !error ? <p>None yet: add them with Characters, above the canvas.</p> : null}
      {characters.map((character) => {
        const chosen = value.includes(character.id);
        const reference = character.references[0];
        return (
          <button
            key={character.id}
            type="button"
            aria-pressed={chosen}
            disabled={!chosen && value.length >= MAX_PANEL_CHARACTERS}
            title={character.description || character.name}
            onClick={() => toggle(character.id)}
          >
            {reference ? <img src={reference.thumbnailUrl ?? reference.url} alt="" /> : null}
            <span>{character.name}</span>
          </button>
        );
      })}
    </fieldset>
  );
}

// Whom a job drew does not change: asked once per job and page.
const casts = new Map<string, Promise<CastMember[]>>();

/** "Drawn with Mara, Otto": the characters of the panel's picture, when it was drawn with some. */
export function PanelCast({ comicId, jobId }: { comicId: string; jobId: string | undefined }) {
  const [cast, setCast] = useState<CastMember[]>([]);
  useEffect(() => {
    setCast([]);
    if (!jobId) return;
    let current = true;
    if (!casts.has(jobId)) casts.set(jobId, charactersApi.castOfJob(comicId, jobId).catch(() => []));
    void casts.get(jobId)!.then((members) => current && setCast(members));
    return () => {
      current = false;
    };
  }, [comicId, jobId]);
  if (!cast.length) return null;
  return (
    <p className="inkwell-panel-cast" data-testid="panel-cast">
      Drawn with {cast.map((member) => member.name).join(', ')}
    </p>
  );
}
