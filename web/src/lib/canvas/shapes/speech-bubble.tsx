// Drawing and behaviour of a speech bubble. Its props, validators and migrations are the document
// model's (`@inkwell/collab-server/model`); here are its geometry, its look, its editable text and the
// handle that drags its tail.
import {
  COMIC_PANEL,
  type ComicPanelShape,
  SPEECH_BUBBLE,
  type SpeechBubbleShape,
  defaultSpeechBubbleProps,
  speechBubbleMigrations,
  speechBubbleProps,
} from '@inkwell/collab-server/model';
import {
  Circle2d,
  Ellipse2d,
  type Geometry2d,
  Group2d,
  Polygon2d,
  ShapeUtil,
  type TLHandle,
  type TLHandleDragInfo,
  type TLResizeInfo,
  Vec,
  ZERO_INDEX_KEY,
  isEqual,
  renderPlaintextFromRichText,
  resizeBox,
  useColorMode,
} from 'tldraw';
import { useMemo } from 'react';
import {
  type Point,
  bodyHeightFor,
  bodyOutline,
  bubbleOutline,
  clampTail,
  pathOf,
  tailTriangle,
  textBox,
  thoughtTrail,
} from './bubble-geometry.ts';
import { labelGeometry, overflowMarker, textLabel, textSvg } from './shape-parts.tsx';
import { fitText, measureTextHeight, textStyle } from './text-style.ts';

const vecs = (points: Point[]) => points.map((p) => new Vec(p.x, p.y));

/** A bubble widens for its text up to this; past it, it only grows taller. */
const MAX_GROWN_WIDTH = 420;

export class SpeechBubbleShapeUtil extends ShapeUtil<SpeechBubbleShape> {
  static override type = SPEECH_BUBBLE;
  static override props = speechBubbleProps;
  static override migrations = speechBubbleMigrations;

  override getDefaultProps(): SpeechBubbleShape['props'] {
    return defaultSpeechBubbleProps();
  }

  override canEdit() {
    return true;
  }

  override canResize() {
    return true;
  }

  override isAspectRatioLocked() {
    return false;
  }

  override getText(shape: SpeechBubbleShape) {
    return renderPlaintextFromRichText(this.editor, shape.props.richText);
  }

  /** The body sets the bounds (and so the selection box); the tail and the label are extra parts. */
  override getGeometry(shape: SpeechBubbleShape): Geometry2d {
    const { w, h, kind, tail } = shape.props;
    const box = textBox(w, h, kind);
    const body =
      kind === 'shout'
        ? new Polygon2d({ points: vecs(bodyOutline(w, h, kind)), isFilled: true })
        : new Ellipse2d({ width: w, height: h, isFilled: true });
    const tailParts =
      kind === 'thought'
        ? thoughtTrail(w, h, tail).map(
            (c) => new Circle2d({ x: c.x - c.r, y: c.y - c.r, radius: c.r, isFilled: true, excludeFromShapeBounds: true }),
          )
        : [new Polygon2d({ points: vecs(tailTriangle(w, h, tail)), isFilled: true, excludeFromShapeBounds: true })];
    const label = labelGeometry(box);
    return new Group2d({ children: [body, ...tailParts, label] });
  }

  override getHandles(shape: SpeechBubbleShape): TLHandle[] {
    const { w, h, tail } = shape.props;
    return [{ id: 'tail', type: 'vertex', label: 'Tail', index: ZERO_INDEX_KEY, x: tail.x * w, y: tail.y * h }];
  }

  override onHandleDrag(shape: SpeechBubbleShape, { handle }: TLHandleDragInfo<SpeechBubbleShape>) {
    const { w, h } = shape.props;
    return { id: shape.id, type: shape.type, props: { tail: clampTail(w, h, { x: handle.x / w, y: handle.y / h }) } };
  }

  override onResize(shape: SpeechBubbleShape, info: TLResizeInfo<SpeechBubbleShape>) {
    return resizeBox(shape, info, { minWidth: 60, minHeight: 40 });
  }

  /**
   * Keeps the tail outside the body, and the body big enough for its text: text that no longer fits makes
   * the bubble grow around its centre, wider first (up to MAX_GROWN_WIDTH) so it stays bubble-shaped,
   * with the tail's tip left where it points. In a panel it grows no bigger than the panel and stays
   * inside it; text that still does not fit is lettered smaller (see `component`).
   */
  override onBeforeUpdate(prev: SpeechBubbleShape, next: SpeechBubbleShape): SpeechBubbleShape | void {
    const { w, h, kind } = next.props;
    const textChanged = !isEqual(prev.props.richText, next.props.richText);
    const styleChanged =
      prev.props.size !== next.props.size || prev.props.font !== next.props.font || prev.props.lettering !== next.props.lettering || prev.props.kind !== kind;
    const parent = this.editor.getShape(next.parentId);
    const room = parent?.type === COMIC_PANEL ? (parent as ComicPanelShape).props : null;
    let [width, height] = [w, h];
    if (textChanged || styleChanged || prev.props.w !== w) {
      const style = textStyle(this.editor, next.props);
      const needed = (at: number) => bodyHeightFor(measureTextHeight(this.editor, next.props.richText, style, textBox(at, h, kind).w), kind);
      let tall = needed(w);
      // Resizing by hand sets the width; only new text or a new style widens the bubble.
      if (tall > h && prev.props.w === w) {
        width = Math.max(w, Math.min(MAX_GROWN_WIDTH, room?.w ?? Infinity, Math.ceil(w * Math.sqrt(tall / h))));
        tall = needed(width);
      }
      height = Math.max(h, Math.min(room?.h ?? Infinity, Math.ceil(tall)));
    }
    const grown = width !== w || height !== h;
    const tip = { x: next.props.tail.x * w, y: next.props.tail.y * h };
    const dx = (width - w) / 2;
    const dy = (height - h) / 2;
    const tail = clampTail(width, height, grown ? { x: (tip.x + dx) / width, y: (tip.y + dy) / height } : next.props.tail);
    if (!grown && tail === next.props.tail) return;
    const offset = new Vec(dx, dy).rot(next.rotation);
    let [x, y] = [next.x - offset.x, next.y - offset.y];
    // Grown past an edge of its panel, it moves back in (an upright bubble: a rotated one stays put).
    if (room && grown && next.rotation === 0) {
      x = Math.max(0, Math.min(x, room.w - width));
      y = Math.max(0, Math.min(y, room.h - height));
    }
    return { ...next, x, y, props: { ...next.props, w: width, h: height, tail } };
  }

  override component(shape: SpeechBubbleShape) {
    const { w, h, kind, tail } = shape.props;
    // tldraw renders component() as a React component, so hooks are allowed here.
    const colorMode = useColorMode();
    const styled = textStyle(this.editor, shape.props, colorMode);
    const box = textBox(w, h, kind);
    const fit = useMemo(
      () => fitText(this.editor, shape.props.richText, styled, box),
      // What the fit depends on, rather than the objects that carry it (new on every render).
      [shape.props.richText, styled.fontFamily, styled.fontSize, styled.lineHeight, box.w, box.h],
    );
    const style = { ...styled, fontSize: fit.fontSize };
    const isSelected = shape.id === this.editor.getOnlySelectedShapeId();
    const isEditing = shape.id === this.editor.getEditingShapeId();
    const outline = pathOf(bubbleOutline(w, h, tail, kind));
    return (
      <>
        <svg className="tl-svg-container" aria-hidden="true">
          <path d={outline} fill={style.fill} stroke={style.stroke} strokeWidth={style.strokeWidth} strokeLinejoin="round" />
          {kind === 'thought' &&
            thoughtTrail(w, h, tail).map((c, i) => (
              <circle key={i} cx={c.x} cy={c.y} r={c.r} fill={style.fill} stroke={style.stroke} strokeWidth={style.strokeWidth} />
            ))}
        </svg>
        {textLabel(shape, style, isSelected, {
          // Overflowing, it shows from its first words.
          verticalAlign: fit.overflows ? 'start' : 'middle',
          // Text that overflows stays inside its balloon (the marker says there is more), unless being written.
          css: { inset: 'auto', left: box.x, top: box.y, width: box.w, height: box.h, ...(fit.overflows && !isEditing && { overflow: 'hidden' }) },
        })}
        {fit.overflows && overflowMarker(box)}
      </>
    );
  }

  override getIndicatorPath(shape: SpeechBubbleShape): Path2D {
    const { w, h, kind, tail } = shape.props;
    const path = new Path2D(pathOf(bubbleOutline(w, h, tail, kind)));
    if (kind === 'thought') {
      for (const c of thoughtTrail(w, h, tail)) {
        path.moveTo(c.x + c.r, c.y);
        path.arc(c.x, c.y, c.r, 0, Math.PI * 2);
      }
    }
    return path;
  }

  override toSvg(shape: SpeechBubbleShape) {
    const { w, h, kind, tail } = shape.props;
    const styled = textStyle(this.editor, shape.props);
    const box = textBox(w, h, kind);
    const style = { ...styled, fontSize: fitText(this.editor, shape.props.richText, styled, box).fontSize };
    return (
      <g>
        <path d={pathOf(bubbleOutline(w, h, tail, kind))} fill={style.fill} stroke={style.stroke} strokeWidth={style.strokeWidth} />
        {textSvg(shape.props.richText, style, box, 'middle', 0)}
      </g>
    );
  }
}
