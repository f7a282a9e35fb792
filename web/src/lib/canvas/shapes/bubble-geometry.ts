// The outlines of speech bubbles, as plain points in the shape's own coordinates: the body fills the
// shape's w×h box, the tail points at `tail`, which is normalised to that box ({x: 0.5, y: 1.4} is below
// the middle). Pure functions, shared by the shape's geometry, its drawing and its indicator.
import type { BubbleTail, SpeechBubbleKind } from '@inkwell/collab-server/model';

export interface Point {
  x: number;
  y: number;
}

/** How far outside the body the tail's tip must stay, in radii of the body's ellipse. */
export const MIN_TAIL_REACH = 1.25;
/** How far away from the body the tail's tip may go, in radii. */
export const MAX_TAIL_REACH = 4;

const STEPS = 64;

/** The tail's tip in the shape's coordinates. */
export function tailTip(w: number, h: number, tail: BubbleTail): Point {
  return { x: tail.x * w, y: tail.y * h };
}

/** The tip's distance from the centre in radii of the body's ellipse (1 = on its edge), and its direction. */
function polar(w: number, h: number, tail: BubbleTail): { reach: number; angle: number } {
  const nx = (tail.x - 0.5) * 2;
  const ny = (tail.y - 0.5) * 2;
  return { reach: Math.hypot(nx, ny), angle: Math.atan2(ny, nx) };
}

/** The tail moved, when needed, to lie between MIN_TAIL_REACH and MAX_TAIL_REACH radii from the centre. */
export function clampTail(w: number, h: number, tail: BubbleTail): BubbleTail {
  const { reach, angle } = polar(w, h, tail);
  if (!Number.isFinite(reach)) return { x: 0.5, y: 1.4 };
  const clamped = Math.min(MAX_TAIL_REACH, Math.max(MIN_TAIL_REACH, reach));
  if (clamped === reach) return tail;
  return { x: 0.5 + (Math.cos(angle) * clamped) / 2, y: 0.5 + (Math.sin(angle) * clamped) / 2 };
}

function ellipsePoint(w: number, h: number, angle: number, scale = 1): Point {
  return { x: w / 2 + Math.cos(angle) * (w / 2) * scale, y: h / 2 + Math.sin(angle) * (h / 2) * scale };
}

/** Half the angle the tail's base takes on the body, narrower for a far tip so the tail stays slim. */
function baseHalfAngle(reach: number): number {
  return Math.max(0.12, Math.min(0.32, 0.42 / reach));
}

/** The body alone: an ellipse for speech and thought, a star burst for a shout. */
export function bodyOutline(w: number, h: number, kind: SpeechBubbleKind): Point[] {
  const points: Point[] = [];
  if (kind === 'shout') {
    const spikes = 18;
    for (let i = 0; i < spikes * 2; i++) {
      const angle = (i / (spikes * 2)) * Math.PI * 2;
      points.push(ellipsePoint(w, h, angle, i % 2 === 0 ? 1 : 0.8));
    }
    return points;
  }
  for (let i = 0; i < STEPS; i++) points.push(ellipsePoint(w, h, (i / STEPS) * Math.PI * 2));
  return points;
}

/**
 * The whole outline of a speech or shout bubble: the body with the tail drawn into it, one closed polygon.
 * A thought bubble has no pointed tail; its tail is a trail of little clouds (see `thoughtTrail`).
 */
export function bubbleOutline(w: number, h: number, tail: BubbleTail, kind: SpeechBubbleKind): Point[] {
  if (kind === 'thought') return bodyOutline(w, h, kind);
  const { reach, angle } = polar(w, h, tail);
  const half = baseHalfAngle(reach);
  const tip = tailTip(w, h, tail);
  const points: Point[] = [tip];
  // Walk around the body from one side of the tail's base to the other.
  const start = angle + half;
  const sweep = Math.PI * 2 - 2 * half;
  const steps = kind === 'shout' ? 36 : STEPS;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const scale = kind === 'shout' && i % 2 === 1 && i !== steps ? 0.8 : 1;
    points.push(ellipsePoint(w, h, start + sweep * t, scale));
  }
  return points;
}

/** The tail as its own triangle: the tip and the two points where it meets the body. */
export function tailTriangle(w: number, h: number, tail: BubbleTail): Point[] {
  const { reach, angle } = polar(w, h, tail);
  const half = baseHalfAngle(reach);
  return [ellipsePoint(w, h, angle - half), tailTip(w, h, tail), ellipsePoint(w, h, angle + half)];
}

/** The little clouds that lead from a thought bubble to the thinker: centre and radius, largest first. */
export function thoughtTrail(w: number, h: number, tail: BubbleTail): { x: number; y: number; r: number }[] {
  const { angle } = polar(w, h, tail);
  const edge = ellipsePoint(w, h, angle);
  const tip = tailTip(w, h, tail);
  const base = Math.max(4, Math.min(w, h) * 0.09);
  return [0.28, 0.6, 0.92].map((t, i) => ({
    x: edge.x + (tip.x - edge.x) * t,
    y: edge.y + (tip.y - edge.y) * t,
    r: base * (1 - i * 0.3),
  }));
}

/** An SVG path through the points, closed. */
export function pathOf(points: Point[]): string {
  if (points.length === 0) return '';
  const [first, ...rest] = points;
  return `M${first!.x.toFixed(2)},${first!.y.toFixed(2)}${rest.map((p) => `L${p.x.toFixed(2)},${p.y.toFixed(2)}`).join('')}Z`;
}

/**
 * The box inside the body where text goes: the largest rectangle inside the ellipse at its diagonals,
 * a little smaller for a shout's spikes.
 */
export function textBox(w: number, h: number, kind: SpeechBubbleKind): { x: number; y: number; w: number; h: number } {
  const share = kind === 'shout' ? 0.6 : Math.SQRT1_2;
  return { x: (w * (1 - share)) / 2, y: (h * (1 - share)) / 2, w: w * share, h: h * share };
}

/** The height the body needs for text `textHeight` tall, given how much of it the text box takes. */
export function bodyHeightFor(textHeight: number, kind: SpeechBubbleKind): number {
  const share = kind === 'shout' ? 0.6 : Math.SQRT1_2;
  return textHeight / share;
}
