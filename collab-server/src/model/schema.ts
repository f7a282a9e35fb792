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
