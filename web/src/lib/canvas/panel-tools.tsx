// What editors can do with the selected panel (or the panel of the selected picture) beyond tldraw's own
// tools, in a bar next to the panel: have a picture drawn for it (a compact form: prompt, style, character reference, seed), and choose
// among the pictures drawn before (each lands on top of the earlier ones; choosing one brings it to the top
// of the art, still under the lettering, an ordinary undoable edit).
import type { ComicPanelShape } from '@inkwell/collab-server/model';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { type Editor, type TLImageShape, useEditor, useValue } from 'tldraw';
import { CharacterPicker, PanelCast } from '#lib/characters/panel-characters.tsx';
import { type MediaItem, studioApi } from '#lib/studio/api.ts';
import { ACCEPTED_IMAGE_TYPES, uploadErrorMessage } from '#lib/upload-errors.ts';
import { panelOfSelection, putUnderLettering } from './comic-actions.ts';
import { COMIC_STYLES, type ComicStyle, type PanelGenerations } from './generation.ts';
import { marginsFor, placeNextTo, useScreenBox } from './screen-box.ts';

const STYLE_LABELS: Record<ComicStyle, string> = {
  manga: 'Manga',
  western: 'Western',
  noir: 'Noir',
  watercolor: 'Watercolour',
  'ligne-claire': 'Ligne claire',
};

/** The panel's pictures, bottom to top, with where to load each from. */
function picturesIn(editor: Editor, panelId: ComicPanelShape['id']) {
  return editor
    .getSortedChildIdsForParent(panelId)
    .map((id) => editor.getShape(id))
    .filter((shape): shape is TLImageShape => shape?.type === 'image')
    .map((shape) => {
      const asset = shape.props.assetId ? editor.getAsset(shape.props.assetId) : undefined;
      return { id: shape.id, src: asset && 'src' in asset.props ? (asset.props.src as string | null) : null };
    });
}

export function PanelTools({ generations }: { generations: PanelGenerations }) {
  const editor = useEditor();
  const panel = useValue('selected panel', () => panelOfSelection(editor), [editor]);
  const readonly = useValue('readonly', () => editor.getIsReadonly(), [editor]);
  const formFor = useValue(generations.formFor);
  const panelId = panel?.id;
  const pictures = useValue('panel pictures', () => (panelId ? picturesIn(editor, panelId) : []), [editor, panelId]);
  const box = useScreenBox(editor, panelId);
  const view = useValue('viewport', () => editor.getViewportScreenBounds(), [editor]);
  // Placed once its size is known (the first frame lays it out unseen), and again whenever it changes: the
  // form grows when the comic's characters and my pictures arrive, without this component rendering again.
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  const element = useCallback((el: HTMLDivElement | null) => {
    if (!el) return;
    const measure = () => setSize((old) => (old?.w === el.offsetWidth && old.h === el.offsetHeight ? old : { w: el.offsetWidth, h: el.offsetHeight }));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  if (!panel || !box) return null;
  const at = size ? placeNextTo(box, size, { w: view.w, h: view.h }) : null;
  const room = marginsFor(view);
  const top = pictures.at(-1)?.id;
  // Whom the picture shows is for everyone on the comic; the tools only for those who may edit.
  const cast = <PanelCast comicId={generations.comicId} jobId={top && (editor.getShape(top)?.meta.jobId as string | undefined)} />;
  const choose = (id: TLImageShape['id']) => {
    const picture = editor.getShape(id);
    if (!picture) return;
    editor.markHistoryStoppingPoint('choose variant');
    putUnderLettering(editor, panel.id, [picture]);
  };
  return (
    <div
      ref={element}
      className="inkwell-panel-tools"
      // Never taller than the room between tldraw's menus: on a phone the form scrolls instead of running off.
      style={{ ...(at ? { left: at.x, top: at.y } : { left: 0, top: 0, visibility: 'hidden' }), maxHeight: view.h - room.top - room.bottom }}
    >
      {readonly ? (
        cast
      ) : formFor === panel.id ? (
        <GenerateForm key={panel.id} panel={panel} generations={generations} />
      ) : (
        <div className="inkwell-panel-tools__bar" role="toolbar" aria-label="Panel">
          <button type="button" className="inkwell-panel-tools__primary" onClick={() => generations.formFor.set(panel.id)}>
            Generate
          </button>
          {pictures.length >= 2 && (
            <div className="inkwell-panel-tools__variants" role="group" aria-label="Variants">
              {pictures.map((picture, n) => (
                <button
                  key={picture.id}
                  type="button"
                  aria-label={`Variant ${n + 1}`}
                  aria-pressed={picture.id === top}
                  onClick={() => choose(picture.id)}
                >
                  {picture.src ? <img src={picture.src} alt="" /> : n + 1}
                </button>
              ))}
            </div>
          )}
          {cast}
        </div>
      )}
    </div>
  );
}

function GenerateForm({ panel, generations }: { panel: ComicPanelShape; generations: PanelGenerations }) {
  const last = generations.lastRequest(panel.id);
  const [prompt, setPrompt] = useState(last?.prompt ?? '');
  const [style, setStyle] = useState<ComicStyle | ''>(last?.style ?? '');
  const [characters, setCharacters] = useState<string[]>(last?.characters ?? []);
  const [reference, setReference] = useState(last?.referenceImage ?? '');
  const [seed, setSeed] = useState(last?.seed?.toString() ?? '');
  const [media, setMedia] = useState<MediaItem[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => generations.formFor.set(null);

  useEffect(() => {
    studioApi.media
      .list({ limit: 12 })
      .then((page) => setMedia(page.items.filter((item) => item.mimeType.startsWith('image/'))))
      .catch(() => setMedia([]));
  }, []);

  async function upload(file: File | undefined) {
    if (!file) return;
    setError(null);
    try {
      const item = await studioApi.media.upload(file);
      setMedia((items) => [item, ...items]);
      setReference(item.id);
    } catch (failure) {
      setError(uploadErrorMessage(failure, file.name));
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await generations.request(panel, {
        prompt: prompt.trim(),
        style: style || undefined,
        characters: characters.length ? characters : undefined,
        referenceImage: reference || undefined,
        seed: seed === '' ? undefined : Number(seed),
      });
      close();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : 'The drawing could not be started.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="inkwell-generate" aria-label="Generate a picture for the panel" onSubmit={(event) => void submit(event)}>
      <label>
        Prompt
        <textarea value={prompt} onChange={(event) => setPrompt(event.target.value)} required rows={2} placeholder="The cat lights a lantern" />
      </label>
      <div className="inkwell-generate__row">
        <label>
          Style
          <select value={style} onChange={(event) => setStyle(event.target.value as ComicStyle | '')}>
            <option value="">The comic's style</option>
            {COMIC_STYLES.map((name) => (
              <option key={name} value={name}>
                {STYLE_LABELS[name]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Seed
          <input
            type="number"
            min={0}
            step={1}
            value={seed}
            onChange={(event) => setSeed(event.target.value)}
            placeholder="Random"
          />
        </label>
      </div>
      <CharacterPicker comicId={generations.comicId} value={characters} onChange={setCharacters} />
      <fieldset className="inkwell-generate__reference">
        <legend>Character reference</legend>
        <button type="button" aria-pressed={reference === ''} onClick={() => setReference('')}>
          None
        </button>
        {media.map((item) => (
          <button
            key={item.id}
            type="button"
            aria-pressed={reference === item.id}
            aria-label={item.filename}
            title={item.filename}
            onClick={() => setReference(item.id)}
          >
            <img src={item.thumbnailUrl ?? item.url} alt="" />
          </button>
        ))}
        <label className="inkwell-generate__upload">
          Upload
          <input type="file" accept={ACCEPTED_IMAGE_TYPES} onChange={(event) => void upload(event.target.files?.[0])} />
        </label>
      </fieldset>
      {error ? <p className="inkwell-generate__error" role="alert">{error}</p> : null}
      <div className="inkwell-generate__actions">
        <button type="button" onClick={close}>
          Close
        </button>
        <button type="submit" className="inkwell-panel-tools__primary" disabled={busy || prompt.trim() === ''}>
          {busy ? 'Starting…' : 'Generate'}
        </button>
      </div>
    </form>
  );
}
