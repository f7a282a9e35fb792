// The comic lettering fonts on the canvas: their faces (from @fontsource, bundled into this site's own
// assets, never a CDN; all under the SIL Open Font License) and the names people choose them by.
import '@fontsource/bangers/latin-400.css';
import '@fontsource/comic-neue/latin-400.css';
import '@fontsource/kalam/latin-400.css';
import '@fontsource/patrick-hand/latin-400.css';
import { LETTERING_FONTS, type LetteringFont } from '@inkwell/collab-server/model';

export const LETTERING_FONT_INFO: Record<LetteringFont, { label: string; family: string }> = {
  'comic-neue': { label: 'Comic Neue', family: "'Comic Neue'" },
  bangers: { label: 'Bangers', family: "'Bangers'" },
  'patrick-hand': { label: 'Patrick Hand', family: "'Patrick Hand'" },
  kalam: { label: 'Kalam', family: "'Kalam'" },
};

/**
 * Loads every lettering face before the canvas draws: bubbles measure their text to fit it, and a
 * measurement in a fallback face would size them wrongly. A face that fails to load leaves its fallback.
 */
export async function loadLetteringFonts(): Promise<void> {
  await Promise.allSettled(LETTERING_FONTS.map((font) => document.fonts.load(`16px ${LETTERING_FONT_INFO[font].family}`)));
}
