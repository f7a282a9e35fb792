// Drawing and behaviour of a comic panel: a frame-like container that clips its children and owns them
// (an image or bubble dropped inside becomes its child), and shows the progress of a picture being drawn
// for it. Props, validators and migrations come from the document model.
import {
  COMIC_PANEL,
  type ComicPanelShape,
  comicPanelMigrations,
  comicPanelProps,
  defaultComicPanelProps,
} from '@inkwell/collab-server/model';
import { BaseFrameLikeShapeUtil, HTMLContainer, SVGContainer, type TLResizeInfo, type TLShape, resizeBox, useColorMode } from 'tldraw';

const BORDER = 6;

const STATUS_TEXT = {
  queued: 'Waiting to draw…',
  running: 'Drawing…',
  failed: 'Drawing failed',
  cancelled: 'Drawing cancelled',
} as const;

export class ComicPanelShapeUtil extends BaseFrameLikeShapeUtil<ComicPanelShape> {
  static override type = COMIC_PANEL;
  static override props = comicPanelProps;
  static override migrations = comicPanelMigrations;

  override getDefaultProps(): ComicPanelShape['props'] {
    return defaultComicPanelProps();
  }

  override canEdit() {
    return false;
  }

  /** Panels hold pictures, bubbles and captions; they never hold other panels. */
  override canReceiveNewChildrenOfType(shape: ComicPanelShape, type: TLShape['type']) {
    return !shape.isLocked && type !== COMIC_PANEL;
  }

  override onResize(shape: ComicPanelShape, info: TLResizeInfo<ComicPanelShape>) {
    return resizeBox(shape, info, { minWidth: 40, minHeight: 40 });
  }

  override getAriaDescriptor() {
    return 'Comic panel';
  }

  override component(shape: ComicPanelShape) {
    const { w, h, generation } = shape.props;
    // tldraw renders component() as a React component, so hooks are allowed here.
    const colorMode = useColorMode();
    const colors = this.editor.getCurrentTheme().colors[colorMode];
    return (
      <>
        <SVGContainer>
          <rect width={w} height={h} fill={colors.background} />
          {/* The border lies just outside the panel, where its clipped children can never cover it. */}
          <rect x={-BORDER / 2} y={-BORDER / 2} width={w + BORDER} height={h + BORDER} fill="none" stroke={colors.text} strokeWidth={BORDER} />
        </SVGContainer>
        {generation && (
          <HTMLContainer className="inkwell-panel-progress" style={{ width: w, height: h }}>
            <div className="inkwell-panel-progress__card" data-status={generation.status}>
              <span>{STATUS_TEXT[generation.status]}</span>
              {generation.status === 'running' || generation.status === 'queued' ? (
                <progress max={100} value={generation.progress} aria-label="Drawing progress" />
              ) : null}
              {generation.message ? <small>{generation.message}</small> : null}
            </div>
          </HTMLContainer>
        )}
      </>
    );
  }

  override getIndicatorPath(shape: ComicPanelShape): Path2D {
    const path = new Path2D();
    path.rect(0, 0, shape.props.w, shape.props.h);
    return path;
  }

  override toSvg(shape: ComicPanelShape) {
    const { w, h } = shape.props;
    return (
      <g>
        <rect width={w} height={h} fill="#ffffff" />
        <rect x={-BORDER / 2} y={-BORDER / 2} width={w + BORDER} height={h + BORDER} fill="none" stroke="#111111" strokeWidth={BORDER} />
      </g>
    );
  }
}
