// The comic document model, shared by the collab-server and the canvas (`@inkwell/collab-server/model`):
// tldraw schema data and Yjs helpers only, no React and no DOM.
export * from './shapes.ts';
export { comicShapeSchemas, createComicSchema } from './schema.ts';
export { DocumentMigrationError, META_MAP, RECORDS_MAP, SCHEMA_KEY, docToSnapshot, metaOf, migrateDoc, putRecords, readRecords, recordsOf } from './doc.ts';
export { type ComicSummary, type Lettering, type PageSummary, type PanelArt, type PanelSummary, mediaIdOf, mediaIdsOf, richTextToPlain, summarizeComic } from './summary.ts';
export { type ImageInsertion, type InsertResult, type InsertedJob, JOBS_MAP, coverCrop, insertImageIntoPanel, setPanelGeneration } from './edits.ts';
export { type Layered, artIndex, isLettering } from './layers.ts';
export { LETTERED_MAP, type LetterResult, type PanelLettering, type PanelLine, letterPanel, letteringSize, placeLettering } from './lettering.ts';
export { COMIC_PAGE, LAYOUT_TEMPLATES, type LayoutTemplate, type PageFormat, type PanelRect, layoutTemplate } from './layouts.ts';
export { type AwarenessUser, colorFor, isAwarenessUser, isPresenceColor } from './presence.ts';
