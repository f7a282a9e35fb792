// How the comic shapes' text looks, from their style props and the editor's theme: the same sizes and
// fonts as tldraw's own labels, so that the style panel means the same thing on every shape.
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
  props: { color: TLDefaultColorStyle; size: TLDefaultSizeStyle; font: TLDefaultFontStyle; align: TLDefaultHorizontalAlignStyle },
  colorMode: 'dark' | 'light' = editor.getColorMode(),
): TextStyle {
  const theme = editor.getCurrentTheme();
  const colors = theme.colors[colorMode];
  const ink = getColorValue(colors, props.color, 'solid');
  return {
    fontFamily: getFontFamily(theme, props.font),
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
