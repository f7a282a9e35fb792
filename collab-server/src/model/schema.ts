import type { SerializedSchema } from '@tldraw/store';
import { createTLSchema, defaultShapeSchemas, type TLSchema } from '@tldraw/tlschema';
import {
  CAPTION,
  COMIC_PANEL,
  SPEECH_BUBBLE,
  captionMigrations,
  captionProps,
  comicPanelMigrations,
  comicPanelProps,
  speechBubbleMigrations,
  speechBubbleProps,
} from './shapes.ts';

/** The comic shapes as tldraw schema entries; the canvas's ShapeUtils use the same props and migrations. */
export const comicShapeSchemas = {
  [COMIC_PANEL]: { props: comicPanelProps, migrations: comicPanelMigrations },
  [SPEECH_BUBBLE]: { props: speechBubbleProps, migrations: speechBubbleMigrations },
  [CAPTION]: { props: captionProps, migrations: captionMigrations },
};

/** tldraw's schema (default shapes, bindings and assets) plus the comic shapes. */
export function createComicSchema(): TLSchema {
  return createTLSchema({ shapes: { ...defaultShapeSchemas, ...comicShapeSchemas } });
}

let shared: TLSchema | undefined;

/** One schema for this process's own reads and edits. */
export function comicSchema(): TLSchema {
  shared ??= createComicSchema();
  return shared;
}

/** Per schema object written in a document (its meta hands back the same object each time): whether it is this code's own. */
const isCurrent = new WeakMap<SerializedSchema, boolean>();
let currentJson: string | undefined;

/** Whether records written with `written` need no migration; compared once per schema object, not once per record. */
export function isCurrentSchema(written: SerializedSchema | undefined): boolean {
  currentJson ??= JSON.stringify(comicSchema().serialize());
  // Only objects can be remembered; whatever else a document holds there is compared each time.
  if (typeof written !== 'object' || written === null) return JSON.stringify(written) === currentJson;
  let known = isCurrent.get(written);
  if (known === undefined) {
    known = JSON.stringify(written) === currentJson;
    isCurrent.set(written, known);
  }
  return known;
}
