// What the Svelte page and the React island say to each other. Plain data and functions only: nothing here
// may import React or tldraw, so that the page can use these types without loading the canvas.
import type { ComicRole } from '@inkwell/api/contract';
import type { CommentHooks } from '../comments/types.ts';

/**
 * The live connection as a person should read it: `connecting` before the first answer, `connected`,
 * `reconnecting` after a drop while the browser is online, `offline` while the browser itself is.
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface CanvasStatus {
  connection: ConnectionState;
  /** The document arrived from the server at least once: the canvas shows the comic. */
  loaded: boolean;
  /** Local changes the server has not yet confirmed as stored. */
  unsaved: number;
  /** Whether this person may only look (a viewer, or a connection the server made read-only). */
  readonly: boolean;
  /** Something that stops the canvas from working, in words for people; null when all is well. */
  error: string | null;
}

/** One person with the comic open; someone with two tabs open is listed once. */
export interface Collaborator {
  userId: string;
  name: string;
  color: string;
  role: ComicRole | null;
  isSelf: boolean;
  /** Whether this browser's view follows theirs. */
  followed: boolean;
}

/** A panel layout template, with the rectangles of its panels (for a preview) on a page of `width`×`height`. */
export interface TemplateInfo {
  name: string;
  label: string;
  width: number;
  height: number;
  panels: { x: number; y: number; w: number; h: number }[];
}

export interface CanvasOptions {
  comicId: string;
  user: { id: string; username: string };
  /** The role the API reported; the collaboration server's answer wins once connected. */
  role: ComicRole;
  /** tldraw's license key (PUBLIC_TLDRAW_LICENSE_KEY); without one tldraw runs unlicensed. */
  licenseKey: string | undefined;
  /** The websocket address of the collaboration server (same origin, `/collab`). */
  collabUrl: string;
  onStatus(status: CanvasStatus): void;
  onPeople(people: Collaborator[]): void;
  /** A problem worth telling the person about, that does not stop the canvas (a failed upload). */
  onProblem(context: string, error: unknown): void;
  /** Comment pins and comment mode (web/src/lib/comments), and live news of the comments. */
  comments?: CommentHooks;
}

/** The page the canvas shows, and how many panels are on it. */
export interface PageInfo {
  id: string;
  name: string;
  panels: number;
}

/** What the page can ask of a mounted canvas. */
export interface CanvasHandle {
  readonly templates: TemplateInfo[];
  /** Adds a page laid out with a template (or fills the current page when it is still empty). */
  addPage(template: string): void;
  /** The page being looked at (null before the editor is up). */
  currentPage(): PageInfo | null;
  /** Follows someone's view, or stops following with null. */
  follow(userId: string | null): void;
  destroy(): void;
}

export type MountCanvas = (target: HTMLElement, options: CanvasOptions) => CanvasHandle;
