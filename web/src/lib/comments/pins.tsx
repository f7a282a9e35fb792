// Comment pins on the canvas, in tldraw's screen-space layer in front of it: a pin on a shape sits at the
// shape's top-right corner and follows it as it moves (its place is derived from the editor's reactive
// state: shapes, pages, camera); a pin on a point stays there. In comment mode, a click or tap places a new
// pin on the shape under it, or at that point. Part of the canvas island (React).
import { useEffect } from 'react';
import { type Editor, type TLPageId, type TLShapeId, atom, react, useEditor, useValue } from 'tldraw';
import type { CommentAnchor } from '@inkwell/api/contract';
import type { CommentCanvas, CommentHooks, CommentPin } from './types.ts';
import './pins.css';

/** Where an anchor is: its page and the point on it, or null when its shape is gone. */
function locate(editor: Editor, anchor: CommentAnchor): { pageId: TLPageId; x: number; y: number } | null {
  if ('pageId' in anchor) return editor.getPage(anchor.pageId as TLPageId) ? { pageId: anchor.pageId as TLPageId, x: anchor.x, y: anchor.y } : null;
  const id = anchor.shapeId as TLShapeId;
  const bounds = editor.getShape(id) && editor.getShapePageBounds(id);
  const pageId = bounds && editor.getAncestorPageId(id);
  return pageId ? { pageId, x: bounds.maxX, y: bounds.minY } : null;
}

/** The comments' state in the island, set from the Svelte panel through `canvas`. */
export class CommentLayer {
  readonly pins = atom<CommentPin[]>('comment pins', []);
  readonly placing = atom('comment placing', false);
  editor: Editor | undefined;
  /** Asked for before the editor was up: shown once it is. */
  pendingReveal: CommentAnchor | null = null;
  readonly canvas: CommentCanvas;
  readonly hooks: CommentHooks;

  constructor(hooks: CommentHooks) {
    this.hooks = hooks;
    this.canvas = {
      setPins: (pins) => this.pins.set(pins),
      setPlacing: (placing) => this.placing.set(placing),
      reveal: (anchor) => this.reveal(anchor),
    };
  }

  private reveal(anchor: CommentAnchor) {
    const editor = this.editor;
    this.pendingReveal = editor ? null : anchor;
    const place = editor && locate(editor, anchor);
    if (!editor || !place) return;
    if (editor.getCurrentPageId() !== place.pageId) editor.setCurrentPage(place.pageId);
    editor.centerOnPoint(place, { animation: { duration: 220 } });
  }
}

const PIN_SPACING = 26;

export function CommentPins({ layer }: { layer: CommentLayer }) {
  const editor = useEditor();
  useEffect(() => {
    layer.editor = editor;
    if (layer.pendingReveal) layer.canvas.reveal(layer.pendingReveal);
    // Which pinned shapes are gone, whenever the pins or the shapes change.
    const stop = react('comment shapes', () => {
      const missing = layer.pins.get().flatMap(({ anchor }) => ('shapeId' in anchor && !editor.getShape(anchor.shapeId as TLShapeId) ? [anchor.shapeId] : []));
      layer.hooks.onMissingShapes([...new Set(missing)]);
    });
    return () => {
      stop();
      if (layer.editor === editor) layer.editor = undefined;
    };
  }, [editor, layer]);

  const placed = useValue(
    'comment pins on screen',
    () => {
      const page = editor.getCurrentPageId();
      const stacked = new Map<string, number>();
      return layer.pins.get().flatMap((pin) => {
        if (pin.resolved && !pin.selected) return [];
        const place = locate(editor, pin.anchor);
        if (!place || place.pageId !== page) return [];
        const key = `${place.x},${place.y}`;
        const index = stacked.get(key) ?? 0;
        stacked.set(key, index + 1);
        const at = editor.pageToViewport(place);
        return [{ ...pin, x: at.x + index * PIN_SPACING, y: at.y }];
      });
    },
    [editor, layer],
  );
  const placing = useValue(layer.placing);

  useEffect(() => {
    if (!placing) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      layer.placing.set(false);
      layer.hooks.onPlacingCancelled();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [placing, layer]);

  // Placed on the click that ends the tap, not on its pointerdown: the panel opens where the finger is, and a
  // phone's click that follows a tap would otherwise land on the panel's new Cancel button.
  function place(event: React.MouseEvent) {
    event.preventDefault();
    event.stopPropagation();
    const point = editor.screenToPage({ x: event.clientX, y: event.clientY });
    const shape = editor.getShapeAtPoint(point, { hitInside: true, hitFrameInside: true, margin: 2 });
    layer.placing.set(false);
    const x = Math.round(point.x);
    const y = Math.round(point.y);
    layer.hooks.onPlace(shape ? { shapeId: shape.id } : { pageId: editor.getCurrentPageId(), x, y });
  }

  return (
    <>
      {placing && (
        <div
          className="inkwell-comment-placing"
          data-testid="comment-placing"
          // The canvas must not start a selection or a drag under the overlay.
          onPointerDown={(event) => {
            event.preventDefault();
            event.stopPropagation();
          }}
          onClick={place}
        >
          <p>Click or tap a panel, a shape or a spot to comment · Esc cancels</p>
        </div>
      )}
      {placed.map((pin) => (
        <button
          key={pin.threadId}
          type="button"
          className="inkwell-comment-pin"
          data-testid="comment-pin"
          data-selected={pin.selected || undefined}
          data-resolved={pin.resolved || undefined}
          aria-label={`Comment ${pin.label}${pin.resolved ? ' (resolved)' : ''}`}
          aria-pressed={pin.selected}
          style={{ left: pin.x, top: pin.y }}
          onPointerDown={(event) => {
            event.preventDefault();
            event.stopPropagation();
          }}
          onClick={() => layer.hooks.onPinSelect(pin.threadId)}
        >
          {pin.label}
        </button>
      ))}
    </>
  );
}
