// The lettering part of the style panel, for selected bubbles and captions: the font they are lettered in
// (their own, or the comic's default), and the comic's default itself, kept in the document so every
// collaborator letters with it.
import {
  CAPTION,
  COMIC_LETTERING_KEY,
  LETTERING_FONTS,
  type LetteringChoice,
  LetteringFontStyle,
  SPEECH_BUBBLE,
  comicLetteringFont,
  isLetteringFont,
} from '@inkwell/collab-server/model';
import { useId } from 'react';
import { StylePanelSection, useEditor, useValue } from 'tldraw';
import { LETTERING_FONT_INFO } from './lettering-fonts.ts';

const fontOptions = LETTERING_FONTS.map((font) => (
  <option key={font} value={font}>
    {LETTERING_FONT_INFO[font].label}
  </option>
));

export function LetteringSection() {
  const editor = useEditor();
  const chosen = useValue(
    'selected lettering',
    () => {
      const lettered = editor.getSelectedShapes().filter((shape) => shape.type === SPEECH_BUBBLE || shape.type === CAPTION);
      if (lettered.length === 0) return null;
      const fonts = new Set(lettered.map((shape) => (shape.props as { lettering: LetteringChoice }).lettering));
      return fonts.size === 1 ? [...fonts][0]! : 'mixed';
    },
    [editor],
  );
  const comicDefault = useValue('comic lettering', () => comicLetteringFont(editor.getDocumentSettings()), [editor]);
  const id = useId();
  if (chosen === null) return null;
  const choose = (value: string) => {
    if (value !== 'auto' && !isLetteringFont(value)) return;
    editor.markHistoryStoppingPoint('lettering font');
    editor.setStyleForSelectedShapes(LetteringFontStyle, value);
  };
  const setComicDefault = (value: string) => {
    const meta = { ...editor.getDocumentSettings().meta };
    if (isLetteringFont(value)) meta[COMIC_LETTERING_KEY] = value;
    else delete meta[COMIC_LETTERING_KEY];
    editor.markHistoryStoppingPoint('comic lettering font');
    editor.updateDocumentSettings({ meta });
  };
  return (
    <StylePanelSection>
      <div className="inkwell-lettering">
        <label htmlFor={`${id}-own`}>Lettering</label>
        <select id={`${id}-own`} value={chosen} onChange={(event) => choose(event.target.value)}>
          {chosen === 'mixed' ? <option value="mixed">Mixed</option> : null}
          <option value="auto">Comic default{comicDefault ? ` (${LETTERING_FONT_INFO[comicDefault].label})` : ''}</option>
          {fontOptions}
        </select>
        <label htmlFor={`${id}-comic`}>Comic default</label>
        <select id={`${id}-comic`} value={comicDefault ?? ''} onChange={(event) => setComicDefault(event.target.value)}>
          <option value="">The style panel’s font</option>
          {fontOptions}
        </select>
      </div>
    </StylePanelSection>
  );
}
