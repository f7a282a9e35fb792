// What the canvas shows in front of its panels, in screen space (tldraw's InFrontOfTheCanvas layer), so that
// no picture, bubble or caption inside a panel can ever cover it: the progress card of a picture being
// drawn for a panel (with Cancel, Dismiss, Try again), and the selected panel's tools next to the panel.
import { COMIC_PANEL, type ComicPanelShape } from '@inkwell/collab-server/model';
import { type Editor, useEditor, useValue } from 'tldraw';
import type { PanelGenerations } from './generation.ts';
import { PanelTools } from './panel-tools.tsx';
import { useScreenBox } from './screen-box.ts';

const STATUS_TEXT = {
  queued: 'Queued…',
  running: 'Drawing…',
  failed: 'Drawing failed',
  cancelled: 'Drawing cancelled',
} as const;

/** The state of the picture being drawn for a panel, over the panel on screen; its buttons for those who may edit. */
function ProgressCard({ panel, editor, generations }: { panel: ComicPanelShape; editor: Editor; generations: PanelGenerations }) {
  const generation = panel.props.generation!;
  const box = useScreenBox(editor, panel.id);
  const live = useValue('panel progress', () => generations.progress.get()[panel.id], [generations, panel.id]);
  const mine = useValue('my job', () => generations.mine.get().has(generation.jobId), [generations, generation.jobId]);
  const readonly = useValue('readonly', () => editor.getIsReadonly(), [editor]);
  if (!box) return null;
  // Full size on screen, smaller only when the panel is too small to hold the card.
  const scale = Math.min(1, box.w / 200, box.h / 130);
  const current = live?.jobId === generation.jobId ? live : undefined;
  const active = generation.status === 'queued' || generation.status === 'running';
  const percent = Math.round(Math.max(generation.progress, current?.percent ?? 0));
  const dismiss = () => {
    editor.markHistoryStoppingPoint('dismiss drawing');
    editor.updateShape<ComicPanelShape>({ id: panel.id, type: COMIC_PANEL, props: { generation: null } });
  };
  const retry = () => {
    dismiss();
    editor.select(panel.id);
    generations.formFor.set(panel.id);
  };
  return (
    <div className="inkwell-panel-progress" data-panel-id={panel.id} style={{ left: box.x, top: box.y, width: box.w, height: box.h }}>
      <div className="inkwell-panel-progress__card" data-status={generation.status} role="status" style={{ scale }}>
        <span>
          {STATUS_TEXT[generation.status]}
          {generation.status === 'running' ? ` ${percent}%` : ''}
        </span>
        {active ? <progress max={100} value={percent} aria-label="Drawing progress" /> : null}
        {generation.message ? <small>{generation.message}</small> : null}
        {!readonly && active && mine ? (
          <div className="inkwell-panel-progress__actions">
            <button type="button" onClick={() => void generations.cancel(generation.jobId)}>
              Cancel
            </button>
          </div>
        ) : null}
        {!readonly && !active ? (
          <div className="inkwell-panel-progress__actions">
            <button type="button" onClick={dismiss}>
              Dismiss
            </button>
            <button type="button" onClick={retry}>
              Try again
            </button>
          </div>
        ) : null}
      </div>
    </div>
  );
}

/** The progress cards of the current page's panels, and the selected panel's tools. */
export function PanelOverlays({ generations }: { generations: PanelGenerations }) {
  const editor = useEditor();
  const drawing = useValue(
    'panels being drawn',
    () => editor.getCurrentPageShapes().filter((shape): shape is ComicPanelShape => shape.type === COMIC_PANEL && (shape as ComicPanelShape).props.generation !== null),
    [editor],
  );
  return (
    <>
      {drawing.map((panel) => (
        <ProgressCard key={panel.id} panel={panel} editor={editor} generations={generations} />
      ))}
      <PanelTools generations={generations} />
    </>
  );
}
