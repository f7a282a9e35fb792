// What the comic shapes share: the label's part of the geometry, the editable label on the canvas, the same
// text in an SVG export (all in the shape's text style), the marker of text that does not fit, and the
// outline of a box for the selection indicator.
import type { CaptionShape, SpeechBubbleShape } from '@inkwell/collab-server/model';
import { Box, HTMLContainer, Rectangle2d, RichTextLabel, RichTextSVG, type TLRichText } from 'tldraw';
import type { CSSProperties } from 'react';
import type { TextStyle } from './text-style.ts';

interface TextBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Where the text goes: a label part of the geometry, outside the shape's bounds. */
export function labelGeometry(box: TextBox) {
  return new Rectangle2d({
    x: box.x,
    y: box.y,
    width: box.w,
    height: box.h,
    isFilled: true,
    isLabel: true,
    excludeFromShapeBounds: true,
  });
}

/** The outline of a `w`×`h` box, for a shape's selection indicator. */
export function rectIndicator(w: number, h: number): Path2D {
  const path = new Path2D();
  path.rect(0, 0, w, h);
  return path;
}

interface LabelOptions {
  verticalAlign: 'start' | 'middle';
  padding?: number;
  /** Where the label lies in the shape (it covers the whole shape when left out). */
  css?: CSSProperties;
}

/** The shape's text on the canvas, editable in place. */
export function textLabel(
  shape: CaptionShape | SpeechBubbleShape,
  style: TextStyle,
  isSelected: boolean,
  { verticalAlign, padding, css }: LabelOptions,
) {
  return (
    <HTMLContainer style={{ pointerEvents: 'all' }}>
      <RichTextLabel
        shapeId={shape.id}
        type={shape.type}
        richText={shape.props.richText}
        fontFamily={style.fontFamily}
        fontSize={style.fontSize}
        lineHeight={style.lineHeight}
        textAlign={style.textAlign}
        verticalAlign={verticalAlign}
        labelColor={style.color}
        isSelected={isSelected}
        {...(padding === undefined ? {} : { padding })}
        wrap
        showTextOutline={false}
        {...(css === undefined ? {} : { style: css })}
      />
    </HTMLContainer>
  );
}

/** The shape's text in an SVG export, inside `box`. */
export function textSvg(richText: TLRichText, style: TextStyle, box: TextBox, verticalAlign: 'start' | 'middle', padding: number) {
  return (
    <RichTextSVG
      bounds={new Box(box.x, box.y, box.w, box.h)}
      richText={richText}
      fontFamily={style.fontFamily}
      fontSize={style.fontSize}
      lineHeight={style.lineHeight}
      textAlign={style.textAlign}
      verticalAlign={verticalAlign}
      labelColor={style.color}
      padding={padding}
      wrap
    />
  );
}

/** Shown at the foot of a text box whose text does not fit even at its smallest: like a page layout's overset mark. */
export function overflowMarker(box: TextBox) {
  return (
    <HTMLContainer>
      <div
        className="inkwell-lettering-overflow"
        role="img"
        aria-label="The text does not fit"
        title="The text does not fit: make the balloon bigger or the text shorter"
        style={{ left: box.x + box.w / 2, top: box.y + box.h }}
      >
        +
      </div>
    </HTMLContainer>
  );
}
