// What the comments panel (Svelte) and the canvas island (React, tldraw) say to each other about comments.
// Plain data and functions only: nothing here may import React or tldraw.
import type { CommentAnchor } from '@inkwell/api/contract';

/** A thread's pin on the canvas. */
export interface CommentPin {
  threadId: string;
  anchor: CommentAnchor;
  /** Its number in the panel's list, shown on the pin. */
  label: string;
  resolved: boolean;
  selected: boolean;
}

/** What the comments panel may ask of the canvas. */
export interface CommentCanvas {
  setPins(pins: CommentPin[]): void;
  /** Comment mode: the next click or tap on the canvas places a pin (on the shape under it, or at that point). */
  setPlacing(placing: boolean): void;
  /** Shows the anchor: its page, centred in view. */
  reveal(anchor: CommentAnchor): void;
}

/** What the canvas tells the comments panel. */
export interface CommentHooks {
  /** The canvas is ready for comments (called once it has mounted). */
  attach(canvas: CommentCanvas): void;
  /** A pin was clicked. */
  onPinSelect(threadId: string): void;
  /** Comment mode placed an anchor for a new thread. */
  onPlace(anchor: CommentAnchor): void;
  /** Comment mode was left without placing anything (Escape). */
  onPlacingCancelled(): void;
  /** Which pinned shapes are no longer in the comic (their threads are shown as on a deleted shape). */
  onMissingShapes(shapeIds: string[]): void;
  /**
   * Someone changed the comic's comments (the collab-server's relay): load that thread again, or all of them
   * when no thread is named (after a reconnection, when changes may have been missed).
   */
  onChanged(threadId?: string): void;
}
