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
import {
  BaseFrameLikeShapeUtil,
  type Editor,
  HTMLContainer,
  SVGContainer,
  type TLResizeInfo,
  type TLShape,
  resizeBox,
  useColorMode,
  useValue,
} from 'tldraw';
import type { PanelGenerations } from '../generation.ts';
import { rectIndicator } from './shape-parts.tsx';

const BORDER = 6;

const STATUS_TEXT = {
  queued: 'Queued…',
  running: 'Drawing…',
  failed: 'Drawing failed',
  cancelled: 'Drawing cancelled',
} as const;

/** The state of the picture being drawn for a panel, over the panel; its buttons for those who may edit. */
function GenerationOverlay({ panel, editor, generations }: { panel: ComicPanelShape; editor: Editor; generations: PanelGenerations | null }) {
  const generation = panel.props.generation!;
  const { w, h } = panel.props;
  const live = useValue('panel progress', () => generations?.progress.get()[panel.id], [generations, panel.id]);
  const mine = useValue('my job', () => generations?.mine.get().has(generation.jobId) ?? false, [generations, generation.jobId]);
  const readonly = useValue('readonly', () => editor.getIsReadonly(), [editor]);
  // The card keeps its size on screen at any zoom, as long as it fits in the panel.
  const zoom = useValue('zoom', () => editor.getZoomLevel(), [editor]);
  const scale = Math.min(1 / zoom, w / 200, h / 130);
  const current = live?.jobId === generation.jobId ? live : undefined;
  const active = generation.status === 'queued' || generation.status === 'running';
  const percent = Math.round(Math.max(generation.progress, current?.percent ?? 0));
  // Buttons take their clicks from tldraw, which would otherwise start selecting or dragging the panel.
  const button = (label: string, action: () => void) => (
    <button type="button" onPointerDown={(event) => editor.markEventAsHandled(event)} onClick={action}>
      {label}
    </button>
  );
  const dismiss = () => {
    editor.markHistoryStoppingPoint('dismiss drawing');
    editor.updateShape<ComicPanelShape>({ id: panel.id, type: COMIC_PANEL, props: { generation: null } });
  };
  const retry = () => {
    dismiss();
    editor.select(panel.id);
    generations?.formFor.set(panel.id);
  };
  return (
    <HTMLContainer className="inkwell-panel-progress" style={{ width: w, height: h }}>
      {active && current?.preview ? <img className="inkwell-panel-progress__preview" src={current.preview} alt="" /> : null}
      <div className="inkwell-panel-progress__card" data-status={generation.status} role="status" style={{ scale }}>
        <span>
          {STATUS_TEXT[generation.status]}
          {generation.status === 'running' ? ` ${percent}%` : ''}
        </span>
        {active ? <progress max={100} value={percent} aria-label="Drawing progress" /> : null}
        {generation.message ? <small>{generation.message}</small> : null}
        {!readonly && active && mine ? (
          <div className="inkwell-panel-progress__actions">{button('Cancel', () => void generations?.cancel(generation.jobId))}</div>
        ) : null}
        {!readonly && !active ? (
          <div className="inkwell-panel-progress__actions">
            {button('Dismiss', dismiss)}
            {button('Try again', retry)}
          </div>
        ) : null}
      </div>
    </HTMLContainer>
  );
}

export class ComicPanelShapeUtil extends BaseFrameLikeShapeUtil<ComicPanelShape> {
  static override type = COMIC_PANEL;
  static override props = comicPanelProps;
  static override migrations = comicPanelMigrations;
  /** Where live progress comes from, and how to cancel or ask again (set with `configure` by the island). */
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
        {shape.props.generation && <GenerationOverlay panel={shape} editor={this.editor} generations={this.options.generations} />}
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
