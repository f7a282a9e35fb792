// Drawing and behaviour of a caption: a narration box with editable text. Props, validators and
// migrations come from the document model.
import { CAPTION, type CaptionShape, captionMigrations, captionProps, defaultCaptionProps } from '@inkwell/collab-server/model';
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
import { labelGeometry, rectIndicator, textLabel, textSvg } from './shape-parts.tsx';
import { measureTextHeight, textStyle } from './text-style.ts';

const PADDING = 10;
/** Caption boxes are pale yellow, as in print; a dim amber in dark mode. */
const PAPER = { light: '#fff4c7', dark: '#3b3320' } as const;

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

  /** The box grows to fit its text. */
  override onBeforeUpdate(prev: CaptionShape, next: CaptionShape): CaptionShape | void {
    const changed =
      !isEqual(prev.props.richText, next.props.richText) ||
      prev.props.size !== next.props.size ||
      prev.props.font !== next.props.font ||
      prev.props.w !== next.props.w;
    if (!changed) return;
    const style = textStyle(this.editor, next.props);
    const needed = Math.ceil(measureTextHeight(this.editor, next.props.richText, style, next.props.w - PADDING * 2) + PADDING * 2);
    if (needed <= next.props.h) return;
    return { ...next, props: { ...next.props, h: needed } };
  }

  override component(shape: CaptionShape) {
    const { w, h } = shape.props;
    // tldraw renders component() as a React component, so hooks are allowed here.
    const colorMode = useColorMode();
    const style = textStyle(this.editor, shape.props, colorMode);
    const isSelected = shape.id === this.editor.getOnlySelectedShapeId();
    return (
      <>
        <svg className="tl-svg-container" aria-hidden="true">
          <rect width={w} height={h} fill={PAPER[colorMode]} stroke={style.stroke} strokeWidth={style.strokeWidth / 1.5} />
        </svg>
        {textLabel(shape, style, isSelected, { verticalAlign: 'start', padding: PADDING })}
      </>
    );
  }

  override getIndicatorPath(shape: CaptionShape): Path2D {
    return rectIndicator(shape.props.w, shape.props.h);
  }

  override toSvg(shape: CaptionShape) {
    const { w, h } = shape.props;
    const style = textStyle(this.editor, shape.props, 'light');
    return (
      <g>
        <rect width={w} height={h} fill={PAPER.light} stroke={style.stroke} strokeWidth={style.strokeWidth / 1.5} />
        {textSvg(shape.props.richText, style, { x: 0, y: 0, w, h }, 'start', PADDING)}
      </g>
    );
  }
}
