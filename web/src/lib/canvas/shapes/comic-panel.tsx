// Drawing and behaviour of a comic panel: a frame-like container that clips its children and owns them
// (an image or bubble dropped inside becomes its child, pictures under the lettering, fitted), and shows the
// picture developing while it is drawn for it. Props, validators and migrations come from the document model.
import {
  COMIC_PANEL,
  type ComicPanelShape,
  comicPanelMigrations,
  comicPanelProps,
  defaultComicPanelProps,
} from '@inkwell/collab-server/model';
import {
  BaseFrameLikeShapeUtil,
  HTMLContainer,
  SVGContainer,
  type TLDragShapesInInfo,
  type TLDropShapesOverInfo,
  type TLResizeInfo,
  type TLShape,
  resizeBox,
  useColorMode,
  useValue,
} from 'tldraw';
import { fillPanel, putUnderLettering } from '../comic-actions.ts';
import type { PanelGenerations } from '../generation.ts';
import { rectIndicator } from './shape-parts.tsx';

const BORDER = 6;

/**
 * The picture developing while it is drawn for the panel, under the panel's children like its art (the
 * progress card itself is in front of the canvas: see panel-overlays.tsx).
 */
function GenerationPreview({ panel, generations }: { panel: ComicPanelShape; generations: PanelGenerations | null }) {
  const generation = panel.props.generation!;
  const live = useValue('panel progress', () => generations?.progress.get()[panel.id], [generations, panel.id]);
  const active = generation.status === 'queued' || generation.status === 'running';
  if (!active || live?.jobId !== generation.jobId || !live.preview) return null;
  return (
    <HTMLContainer className="inkwell-panel-preview" style={{ width: panel.props.w, height: panel.props.h }}>
      <img src={live.preview} alt="" />
    </HTMLContainer>
  );
}

export class ComicPanelShapeUtil extends BaseFrameLikeShapeUtil<ComicPanelShape> {
  static override type = COMIC_PANEL;
  static override props = comicPanelProps;
  static override migrations = comicPanelMigrations;
  /** Where the live preview comes from (set with `configure` by the island). */
  override options: { generations: PanelGenerations | null } = { generations: null };

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

  /** Pictures dragged in go under the panel's lettering at once (tldraw puts new children on top). */
  override onDragShapesIn(shape: ComicPanelShape, shapes: TLShape[], info: TLDragShapesInInfo) {
    super.onDragShapesIn(shape, shapes, info);
    putUnderLettering(this.editor, shape.id, shapes.flatMap((s) => this.editor.getShape(s.id) ?? []).filter((s) => s.parentId === shape.id));
  }

  /** A picture dropped in from outside is fitted into the panel, as pictures drawn for it are. */
  override onDropShapesOver(shape: ComicPanelShape, shapes: TLShape[], { initialParentIds }: TLDropShapesOverInfo) {
    for (const dropped of shapes) {
      const current = this.editor.getShape(dropped.id);
      if (current?.type === 'image' && current.parentId === shape.id && initialParentIds.get(current.id) !== shape.id) fillPanel(this.editor, shape, current);
    }
  }

  override onResize(shape: ComicPanelShape, info: TLResizeInfo<ComicPanelShape>) {
    return resizeBox(shape, info, { minWidth: 40, minHeight: 40 });
  }

  override getAriaDescriptor() {
    return 'Comic panel';
  }

  override component(shape: ComicPanelShape) {
    const { w, h } = shape.props;
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
        {shape.props.generation && <GenerationPreview panel={shape} generations={this.options.generations} />}
      </>
    );
  }

  override getIndicatorPath(shape: ComicPanelShape): Path2D {
    return rectIndicator(shape.props.w, shape.props.h);
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
