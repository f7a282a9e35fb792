// Turning pages by touch or mouse: a swipe sideways, or a click or tap in the left or right third of the page.
// Pinch zoom stays the browser's own: a gesture with two fingers, or a swipe while the page is zoomed in
// (panning it), turns nothing. Touch events rather than pointer events: the browser cancels a pointer once
// it pans, but always ends a touch.
import type { Attachment } from 'svelte/attachments';

export interface TurnHandlers {
  next(): void;
  previous(): void;
}

/** A swipe moves at least this far, and mostly sideways. */
const SWIPE_PX = 50;

const zoomed = () => (window.visualViewport?.scale ?? 1) > 1.01;
/** Selecting text (a long press, a drag) is not turning a page, nor is using a control. */
const selecting = () => !(window.getSelection()?.isCollapsed ?? true);
const onControl = (target: EventTarget | null) => target instanceof Element && target.closest('a, button, input, select, textarea') !== null;

export function turnPages(handlers: () => TurnHandlers): Attachment<HTMLElement> {
  return (node) => {
    let start: { x: number; y: number } | null = null;

    function touchStart(event: TouchEvent) {
      const touch = event.touches[0];
      // A second finger makes it a pinch, for the rest of the gesture.
      start = event.touches.length === 1 && touch ? { x: touch.clientX, y: touch.clientY } : null;
    }

    function touchEnd(event: TouchEvent) {
      const touch = event.changedTouches[0];
      const from = start;
      start = null;
      if (!from || !touch || event.touches.length > 0 || zoomed()) return;
      const dx = touch.clientX - from.x;
      const dy = touch.clientY - from.y;
      if (Math.abs(dx) < SWIPE_PX || Math.abs(dx) < 1.5 * Math.abs(dy)) return;
      // Swiping left brings the next page in from the right.
      const { next, previous } = handlers();
      (dx < 0 ? next : previous)();
    }

    function click(event: MouseEvent) {
      if (event.button !== 0 || selecting() || onControl(event.target)) return;
      const box = node.getBoundingClientRect();
      const at = (event.clientX - box.left) / box.width;
      const { next, previous } = handlers();
      if (at < 1 / 3) previous();
      else if (at > 2 / 3) next();
    }

    node.addEventListener('touchstart', touchStart, { passive: true });
    node.addEventListener('touchend', touchEnd, { passive: true });
    node.addEventListener('click', click);
    return () => {
      node.removeEventListener('touchstart', touchStart);
      node.removeEventListener('touchend', touchEnd);
      node.removeEventListener('click', click);
    };
  };
}
