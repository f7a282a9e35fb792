// The one stacking rule of a panel, for every way a picture gets into one (the server's generated pictures,
// and on the canvas a chosen variant, a dropped, pasted or dragged picture, "Use in a comic"): art lies
// beneath the lettering. Children stack by their fractional `index`, so a picture's index goes above the
// art already there and below the lowest piece of lettering.
import { type IndexKey, getIndexAbove, getIndexBetween } from '@tldraw/utils';
import { CAPTION, SPEECH_BUBBLE } from './shapes.ts';

/** Shapes that carry the words of a panel and so always stay on top of its pictures. */
const LETTERING = new Set<string>([SPEECH_BUBBLE, CAPTION, 'text']);

export const isLettering = (type: string): boolean => LETTERING.has(type);

export interface Layered {
  id: string;
  type: string;
  index: IndexKey;
}

const highest = (indices: IndexKey[]) => indices.reduce<IndexKey | undefined>((top, i) => (top === undefined || i > top ? i : top), undefined);

/**
 * The index for a picture placed on top of a panel's art, under its lettering. `children` are the panel's
 * children (the picture itself, when it is one of them already, is left out of the reckoning).
 */
export function artIndex(children: Iterable<Layered>, pictureId?: string): IndexKey {
  const others = [...children].filter((child) => child.id !== pictureId);
  const lettering = others.filter((child) => isLettering(child.type)).map((child) => child.index);
  if (lettering.length === 0) return getIndexAbove(highest(others.map((child) => child.index)));
  const lowest = lettering.reduce((low, i) => (i < low ? i : low));
  return getIndexBetween(highest(others.filter((child) => child.index < lowest).map((child) => child.index)), lowest);
}
