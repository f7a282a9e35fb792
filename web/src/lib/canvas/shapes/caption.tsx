// Drawing and behaviour of a caption: a narration box with editable text. Props, validators and
// migrations come from the document model.
import {
  CAPTION,
  COMIC_PANEL,
  type CaptionShape,
  type ComicPanelShape,
  captionMigrations,
  captionProps,
  defaultCaptionProps,
} from '@inkwell/collab-server/model';
import { useMemo } from 'react';
import {
  BaseBoxShapeUtil,
  type Geometry2d,
  Group2d,
  Rectangle2d,
  type TLResizeInfo,
  isEqual,
  renderPlaintextFromRichText,
  resizeBox,
  useColorMode,
} from 'tldraw';
import { labelGeometry, overflowMarker, rectIndicator, textLabel, textSvg } from './shape-parts.tsx';
import { fitText, measureTextHeight, textStyle } from './text-style.ts';

const PADDING = 10;
/** Caption boxes are pale yellow, as in print; a dim amber in dark mode. */
const PAPER = { light: '#fff4c7', dark: '#3b3320' } as const;

/** Where the text goes inside a caption of `w`×`h`. */
const textBoxOf = (w: number, h: number) => ({ x: PADDING, y: PADDING, w: w - PADDING * 2, h: h - PADDING * 2 });

export class CaptionShapeUtil extends BaseBoxShapeUtil<CaptionShape> {
  static override type = CAPTION;
  static override props = captionProps;
  static override migrations = captionMigrations;

  override getDefaultProps(): CaptionShape['props'] {
    return defaultCaptionProps();
  }

  override canEdit() {
    return true;
  }

  override getText(shape: CaptionShape) {
    return renderPlaintextFromRichText(this.editor, shape.props.richText);
  }

  override getGeometry(shape: CaptionShape): Geometry2d {
    const { w, h } = shape.props;
    return new Group2d({
      children: [
        new Rectangle2d({ width: w, height: h, isFilled: true }),
        labelGeometry({ x: 0, y: 0, w, h }),
      ],
    });
  }

  override onResize(shape: CaptionShape, info: TLResizeInfo<CaptionShape>) {
    return resizeBox(shape, info, { minWidth: 60, minHeight: 30 });
  }

  /** The box grows to fit its text, in a panel down to the panel's foot (text that still does not fit is lettered smaller). */
  override onBeforeUpdate(prev: CaptionShape, next: CaptionShape): CaptionShape | void {
    const changed =
      !isEqual(prev.props.richText, next.props.richText) ||
      prev.props.size !== next.props.size ||
      prev.props.font !== next.props.font ||
      prev.props.lettering !== next.props.lettering ||
      prev.props.w !== next.props.w;
    if (!changed) return;
    const style = textStyle(this.editor, next.props);
    const parent = this.editor.getShape(next.parentId);
    const room = parent?.type === COMIC_PANEL && next.rotation === 0 ? (parent as ComicPanelShape).props.h - next.y : Infinity;
    const needed = Math.min(room, Math.ceil(measureTextHeight(this.editor, next.props.richText, style, next.props.w - PADDING * 2) + PADDING * 2));
    if (needed <= next.props.h) return;
    return { ...next, props: { ...next.props, h: needed } };
  }

  override component(shape: CaptionShape) {
    const { w, h } = shape.props;
    // tldraw renders component() as a React component, so hooks are allowed here.
    const colorMode = useColorMode();
    const styled = textStyle(this.editor, shape.props, colorMode);
    const box = textBoxOf(w, h);
    const fit = useMemo(
      () => fitText(this.editor, shape.props.richText, styled, box),
      // What the fit depends on, rather than the objects that carry it (new on every render).
      [shape.props.richText, styled.fontFamily, styled.fontSize, styled.lineHeight, box.w, box.h],
    );
    const style = { ...styled, fontSize: fit.fontSize };
    const isSelected = shape.id === this.editor.getOnlySelectedShapeId();
    return (
      <>
        <svg className="tl-svg-container" aria-hidden="true">
          <rect width={w} height={h} fill={PAPER[colorMode]} stroke={style.stroke} strokeWidth={style.strokeWidth / 1.5} />
        </svg>
        {textLabel(shape, style, isSelected, {
          verticalAlign: 'start',
          padding: PADDING,
          // Text that overflows stays inside its box (the marker says there is more), unless being written.
          ...(fit.overflows && shape.id !== this.editor.getEditingShapeId() && { css: { overflow: 'hidden' } }),
        })}
        {fit.overflows && overflowMarker(box)}
      </>
    );
  }

  override getIndicatorPath(shape: CaptionShape): Path2D {
    return rectIndicator(shape.props.w, shape.props.h);
  }

  override toSvg(shape: CaptionShape) {
    const { w, h } = shape.props;
    const styled = textStyle(this.editor, shape.props, 'light');
    const style = { ...styled, fontSize: fitText(this.editor, shape.props.richText, styled, textBoxOf(w, h)).fontSize };
    return (
      <g>
        <rect width={w} height={h} fill={PAPER.light} stroke={style.stroke} strokeWidth={style.strokeWidth / 1.5} />
        {textSvg(shape.props.richText, style, { x: 0, y: 0, w, h }, 'start', PADDING)}
      </g>
    );
  }
}
