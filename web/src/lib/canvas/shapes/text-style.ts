// How the comic shapes' text looks, from their style props and the editor's theme: the same sizes and
// fonts as tldraw's own labels, so that the style panel means the same thing on every shape, unless a
// lettering font is chosen (for the shape, or as the comic's default); and how text is fitted into its box.
import { type LetteringChoice, MIN_LETTERING_SCALE, comicLetteringFont, letteringFontOf } from '@inkwell/collab-server/model';
import {
  type Editor,
  type TLDefaultColorStyle,
  type TLDefaultFontStyle,
  type TLDefaultHorizontalAlignStyle,
  type TLDefaultSizeStyle,
  type TLRichText,
  getColorValue,
  getFontFamily,
  renderHtmlFromRichTextForMeasurement,
} from 'tldraw';
import { LETTERING_FONT_INFO } from '../lettering-fonts.ts';

/** Multiples of the theme's base font size, as tldraw's labels use them. */
const LABEL_SIZES: Record<TLDefaultSizeStyle, number> = { s: 1.125, m: 1.375, l: 1.625, xl: 2 };
/** Stroke widths of the outlines, per size. */
const STROKES: Record<TLDefaultSizeStyle, number> = { s: 2, m: 3, l: 4, xl: 6 };

export interface TextStyle {
  fontFamily: string;
  fontSize: number;
  lineHeight: number;
  textAlign: 'start' | 'center' | 'end';
  color: string;
  stroke: string;
  strokeWidth: number;
  /** The paper behind the text. */
  fill: string;
}

const ALIGN: Record<TLDefaultHorizontalAlignStyle, TextStyle['textAlign']> = {
  start: 'start',
  middle: 'center',
  end: 'end',
  'start-legacy': 'start',
  'middle-legacy': 'center',
  'end-legacy': 'end',
};

export function textStyle(
  editor: Editor,
  props: {
    color: TLDefaultColorStyle;
    size: TLDefaultSizeStyle;
    font: TLDefaultFontStyle;
    align: TLDefaultHorizontalAlignStyle;
    lettering: LetteringChoice;
  },
  colorMode: 'dark' | 'light' = editor.getColorMode(),
): TextStyle {
  const theme = editor.getCurrentTheme();
  const colors = theme.colors[colorMode];
  const ink = getColorValue(colors, props.color, 'solid');
  const themeFont = getFontFamily(theme, props.font);
  const lettering = letteringFontOf(props, comicLetteringFont(editor.getDocumentSettings()));
  return {
    fontFamily: lettering ? `${LETTERING_FONT_INFO[lettering].family}, ${themeFont}` : themeFont,
    fontSize: theme.fontSize * LABEL_SIZES[props.size],
    lineHeight: theme.lineHeight,
    textAlign: ALIGN[props.align],
    color: ink,
    stroke: ink,
    strokeWidth: STROKES[props.size],
    fill: colors.background,
  };
}

/** The height `richText` takes at `width`, in the shape's style. */
export function measureTextHeight(editor: Editor, richText: TLRichText, style: TextStyle, width: number): number {
  const html = renderHtmlFromRichTextForMeasurement(editor, richText);
  const size = editor.textMeasure.measureHtml(html, {
    fontFamily: style.fontFamily,
    fontSize: style.fontSize,
    lineHeight: style.lineHeight,
    fontWeight: 'normal',
    fontStyle: 'normal',
    padding: '0px',
    maxWidth: Math.max(16, width),
  });
  return Math.max(style.fontSize * style.lineHeight, size.h);
}

export interface FittedText {
  fontSize: number;
  /** The text does not fit even at the smallest size: part of it is hidden. */
  overflows: boolean;
}

/**
 * The size `richText` is lettered at to fit a box: its styled size when it fits, else smaller, step by
 * step, down to MIN_LETTERING_SCALE of it; still too tall there, it overflows.
 */
export function fitText(editor: Editor, richText: TLRichText, style: TextStyle, box: { w: number; h: number }): FittedText {
  const smallest = style.fontSize * MIN_LETTERING_SCALE;
  for (let fontSize = style.fontSize; ; fontSize = Math.max(smallest, fontSize * 0.9)) {
    // Half a pixel of slack: measurements round, and text exactly as tall as its box fits.
    if (measureTextHeight(editor, richText, { ...style, fontSize }, box.w) <= box.h + 0.5) return { fontSize, overflows: false };
    if (fontSize === smallest) return { fontSize, overflows: true };
  }
}
