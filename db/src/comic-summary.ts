// The plain JSON summary of a comic (`comics.panels`): what the collab-server derives from the live document
// each time it is stored, and what the reader, the gallery, exports and moderation read, so that none of them
// needs tldraw. Coordinates are the canvas's page coordinates, in canvas units.

/** Lettering kinds: the speech bubble's kinds, and captions. */
export type LetteringKind = 'speech' | 'thought' | 'shout' | 'caption';

/** A picture in a panel, where it sits on the page (it may reach past the panel, which clips it). */
export interface PanelArt {
  mediaId: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A speech bubble or caption: its box on the page, its text and how it is lettered. */
export interface Lettering {
  id: string;
  kind: LetteringKind;
  x: number;
  y: number;
  w: number;
  h: number;
  /** Where a bubble's tail points, on the page; captions have none. */
  tail: { x: number; y: number } | null;
  text: string;
  /** tldraw's style values: font 'draw' | 'sans' | 'serif' | 'mono', size 's' | 'm' | 'l' | 'xl', align 'start' | 'middle' | 'end'. */
  font: string;
  size: string;
  align: string;
  color: string;
}

export interface PanelSummary {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  /** Media ids of the images in the panel, bottom to top. */
  images: string[];
  /** Plain text of the speech bubbles and captions in the panel, in reading order. */
  text: string[];
  /** The images with their place on the page, bottom to top. */
  art: PanelArt[];
  /** The bubbles and captions of the panel, in reading order. */
  lettering: Lettering[];
}

export interface PageSummary {
  id: string;
  name: string;
  /** The box around every panel of the page; null for a page without panels. */
  bounds: { x: number; y: number; w: number; h: number } | null;
  /** In reading order: rows top to bottom, left to right within a row. */
  panels: PanelSummary[];
}

export interface ComicSummary {
  pages: PageSummary[];
}
