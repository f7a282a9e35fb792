// Lettering as the canvas letters it: tldraw's own font files (from @tldraw/assets, as the canvas loads
// them) and the comic lettering fonts (from @fontsource, as the canvas bundles them), its size scale and
// line height, wrapped like its labels (CSS pre-wrap with break-word) inside the same text box. Line breaks are computed here once, with the fonts' real advances, and then drawn as glyph
// outlines in page images and as real text in PDFs, so both break where the canvas does.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import wawoff2 from 'wawoff2';
import type { Lettering } from '@inkwell/db';

/** tldraw's font styles, and the comic lettering fonts a bubble or comic may choose (the comic model's LETTERING_FONTS). */
export type FontKey = 'draw' | 'sans' | 'serif' | 'mono' | 'comic-neue' | 'bangers' | 'patrick-hand' | 'kalam';

/** The face of each: the regular one tldraw's default theme uses for its styles, and the lettering fonts' latin faces. */
export const FONT_FILES: Record<FontKey, string> = {
  draw: '@tldraw/assets/fonts/Shantell_Sans-Informal_Regular.woff2',
  sans: '@tldraw/assets/fonts/IBMPlexSans-Medium.woff2',
  serif: '@tldraw/assets/fonts/IBMPlexSerif-Medium.woff2',
  mono: '@tldraw/assets/fonts/IBMPlexMono-Medium.woff2',
  'comic-neue': '@fontsource/comic-neue/files/comic-neue-latin-400-normal.woff2',
  bangers: '@fontsource/bangers/files/bangers-latin-400-normal.woff2',
  'patrick-hand': '@fontsource/patrick-hand/files/patrick-hand-latin-400-normal.woff2',
  kalam: '@fontsource/kalam/files/kalam-latin-400-normal.woff2',
};

/** tldraw's theme: base font size and line height; labels scale the base per size style. */
const BASE_FONT_SIZE = 16;
const LINE_HEIGHT = 1.35;
const LABEL_SIZES: Record<string, number> = { s: 1.125, m: 1.375, l: 1.625, xl: 2 };
/** Outline widths of bubbles and captions per size style, as the canvas draws them. */
const STROKES: Record<string, number> = { s: 2, m: 3, l: 4, xl: 6 };
/** tldraw's light palette ('solid' shade), which exports use. */
const COLORS: Record<string, string> = {
  black: '#1d1d1d',
  blue: '#4465e9',
  green: '#099268',
  grey: '#9fa8b2',
  'light-blue': '#4ba1f1',
  'light-green': '#4cb05e',
  'light-red': '#f87777',
  'light-violet': '#e085f4',
  orange: '#e16919',
  red: '#e03131',
  violet: '#ae3ec9',
  yellow: '#f1ac4b',
  white: '#ffffff',
};
/** A caption's text sits this far inside its box, top-aligned; a bubble's is centred in its body's text box. */
export const CAPTION_PADDING = 10;
/** Text that would not fit shrinks, down to this share (the canvas's MIN_LETTERING_SCALE, in the comic model). */
const MIN_FIT_SCALE = 0.5;

export interface LetteringFont {
  key: FontKey;
  /** TrueType bytes: the shipped WOFF2 decompressed, as PDF embedding and fontkit's subsetter need. */
  ttf: Buffer;
  font: fontkit.Font;
}

const require = createRequire(import.meta.url);
const fonts = new Map<FontKey, Promise<LetteringFont>>();

async function loadFont(key: FontKey): Promise<LetteringFont> {
  const woff2 = await readFile(require.resolve(FONT_FILES[key]));
  const ttf = Buffer.from(await wawoff2.decompress(woff2));
  return { key, ttf, font: fontkit.create(ttf) as fontkit.Font };
}

/** One of the lettering fonts, loaded once per process. */
export function letteringFont(key: FontKey): Promise<LetteringFont> {
  let font = fonts.get(key);
  if (!font) {
    font = loadFont(key);
    // A failed load is tried again next time rather than remembered.
    font.catch(() => fonts.delete(key));
    fonts.set(key, font);
  }
  return font;
}

/** The size a bubble's or caption's text is styled at, in page units (before any shrinking to fit). */
export const styledFontSize = (size: string) => BASE_FONT_SIZE * (LABEL_SIZES[size] ?? LABEL_SIZES.m!);

export const fontKeyOf = (font: string): FontKey => (font in FONT_FILES ? (font as FontKey) : 'draw');
export const inkOf = (color: string) => COLORS[color] ?? COLORS.black!;
export const strokeWidthOf = (size: string) => STROKES[size] ?? STROKES.m!;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Where a bubble's text goes: the largest rectangle inside its ellipse, smaller for a shout's spikes. */
export function textBoxOf(item: Pick<Lettering, 'kind' | 'x' | 'y' | 'w' | 'h'>): Box {
  if (item.kind === 'caption') {
    return { x: item.x + CAPTION_PADDING, y: item.y + CAPTION_PADDING, w: item.w - 2 * CAPTION_PADDING, h: item.h - 2 * CAPTION_PADDING };
  }
  const share = item.kind === 'shout' ? 0.6 : Math.SQRT1_2;
  return { x: item.x + (item.w * (1 - share)) / 2, y: item.y + (item.h * (1 - share)) / 2, w: item.w * share, h: item.h * share };
}

export interface LaidLine {
  text: string;
  /** Left end of the line and its baseline, on the page. */
  x: number;
  baseline: number;
  width: number;
}

export interface LaidText {
  font: LetteringFont;
  fontSize: number;
  color: string;
  lines: LaidLine[];
}

const widthOf = (font: fontkit.Font, text: string, fontSize: number) => (font.layout(text).advanceWidth * fontSize) / font.unitsPerEm;
/** Browsers lay text out in 1/64 px units, so a line a hair wider than its box by our floating point still fits there. */
const LAYOUT_UNIT = 1 / 64;

/**
 * Where text overflows `max`: the length of its longest start that fits (at least one glyph). Measured on
 * the text shaped whole, as browsers measure it: contextual alternates (Shantell Sans has many) change a
 * glyph's width with its neighbours.
 */
function overflowAt(font: fontkit.Font, text: string, fontSize: number, max: number): number {
  const run = font.layout(text);
  let pen = 0;
  let index = 0;
  for (const [i, glyph] of run.glyphs.entries()) {
    pen += (run.positions[i]!.xAdvance * fontSize) / font.unitsPerEm;
    const next = index + String.fromCodePoint(...glyph.codePoints).length;
    if (pen > max + LAYOUT_UNIT) return index || next;
    index = next;
  }
  return text.length;
}

/** Splits one paragraph into lines no wider than `max`, as CSS `white-space: pre-wrap; overflow-wrap: break-word` does. */
function wrapParagraph(font: fontkit.Font, paragraph: string, fontSize: number, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  // Words keep the spaces that follow them; trailing spaces hang past the edge and never force a break.
  for (const word of paragraph.match(/\S+\s*|\s+/g) ?? ['']) {
    const candidate = line + word;
    // Whole words fit a box as wide as it is in whole layout units, as the browser sizes it.
    if (widthOf(font, candidate.trimEnd(), fontSize) <= Math.floor(max / LAYOUT_UNIT) * LAYOUT_UNIT + LAYOUT_UNIT) {
      line = candidate;
      continue;
    }
    if (line) lines.push(line.trimEnd());
    // A word longer than a line breaks where it overflows.
    line = word;
    while (widthOf(font, line.trimEnd(), fontSize) > max + LAYOUT_UNIT) {
      const cut = overflowAt(font, line, fontSize, max);
      lines.push(line.slice(0, cut));
      line = line.slice(cut);
    }
  }
  lines.push(line.trimEnd());
  return lines;
}

function wrap(font: fontkit.Font, text: string, fontSize: number, max: number): string[] {
  return text.split('\n').flatMap((paragraph) => wrapParagraph(font, paragraph, fontSize, max));
}

/**
 * The lines of a bubble's or caption's text, placed in its text box: wrapped at the box's width, aligned
 * as styled, centred vertically in a bubble and from the top in a caption. Text taller than its box is
 * set smaller until it fits, so it never spills out of its balloon.
 */
export async function layOutLettering(item: Lettering): Promise<LaidText> {
  const font = await letteringFont(fontKeyOf(item.font));
  const box = textBoxOf(item);
  const styled = styledFontSize(item.size);
  const maxWidth = Math.max(16, box.w);
  let fontSize = styled;
  let lines = wrap(font.font, item.text, fontSize, maxWidth);
  while (lines.length * fontSize * LINE_HEIGHT > box.h && fontSize > styled * MIN_FIT_SCALE) {
    fontSize *= 0.95;
    lines = wrap(font.font, item.text, fontSize, maxWidth);
  }
  const lineHeight = fontSize * LINE_HEIGHT;
  const height = lines.length * lineHeight;
  const top = item.kind === 'caption' ? box.y : box.y + (box.h - height) / 2;
  // CSS puts the glyphs' ascent-to-descent box in the middle of each line box.
  const scale = fontSize / font.font.unitsPerEm;
  const halfLeading = (lineHeight - (font.font.ascent - font.font.descent) * scale) / 2;
  return {
    font,
    fontSize,
    color: inkOf(item.color),
    lines: lines.map((text, i) => {
      const width = widthOf(font.font, text, fontSize);
      const free = box.w - width;
      const x = item.align === 'start' ? box.x : item.align === 'end' ? box.x + free : box.x + free / 2;
      return { text, x, width, baseline: top + i * lineHeight + halfLeading + font.font.ascent * scale };
    }),
  };
}

/** The text as SVG paths in page coordinates: each glyph's outline from the font, as the browser shapes it. */
export function glyphPaths(text: LaidText): string {
  const font = text.font.font;
  const k = text.fontSize / font.unitsPerEm;
  const paths: string[] = [];
  for (const line of text.lines) {
    const run = font.layout(line.text);
    let pen = line.x;
    run.glyphs.forEach((glyph, i) => {
      const position = run.positions[i]!;
      const d = glyph.path.toSVG();
      if (d) {
        const x = pen + position.xOffset * k;
        const y = line.baseline - position.yOffset * k;
        paths.push(`<path transform="translate(${x.toFixed(3)} ${y.toFixed(3)}) scale(${k.toFixed(6)} ${(-k).toFixed(6)})" d="${d}"/>`);
      }
      pen += position.xAdvance * k;
    });
  }
  return `<g fill="${text.color}">${paths.join('')}</g>`;
}
