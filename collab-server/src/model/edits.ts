// Edits the server makes to a comic document: a generated image landing in its panel, and the panel's
// generation state. Both are plain functions of a Y.Doc, so they run the same inside a Hocuspocus direct
// connection, in a test, or anywhere else.
import type { TLAssetId, TLImageAsset, TLImageShape, TLRecord, TLShape, TLShapeCrop, TLShapeId } from '@tldraw/tlschema';
import type * as Y from 'yjs';
import { migrateDoc, putRecords, recordsOf } from './doc.ts';
import { artIndex } from './layers.ts';
import { COMIC_PANEL, type ComicPanelShape, type PanelGeneration, panelGenerationValidator } from './shapes.ts';

/** Jobs whose result is in the document, by job id: what makes a retried insertion a no-op. */
export const JOBS_MAP = 'jobs';

export interface InsertedJob {
  panelId: string;
  mediaId: string;
  shapeId: string;
}

export interface ImageInsertion {
  panelId: string;
  mediaId: string;
  /** `/api/v1/media/<mediaId>/file` */
  assetSrc: string;
  /** Pixel size of the image. */
  width: number;
  height: number;
  jobId: string;
  mimeType?: string;
}

export type InsertResult =
  | { status: 'inserted'; shapeId: TLShapeId }
  | { status: 'already-inserted'; shapeId: TLShapeId }
  | { status: 'panel-missing' };

function jobsOf(doc: Y.Doc): Y.Map<InsertedJob> {
  return doc.getMap<InsertedJob>(JOBS_MAP);
}

function panelOf(doc: Y.Doc, panelId: string): ComicPanelShape | undefined {
  const record = recordsOf(doc).get(panelId as TLRecord['id']);
  return record?.typeName === 'shape' && record.type === COMIC_PANEL ? (record as ComicPanelShape) : undefined;
}

/**
 * Puts a generated image into its panel, filling it (the panel clips, the image is cropped to the panel's
 * proportions and centred), on top of its pictures but under its lettering, and clears the panel's generation
 * state.
 * Idempotent per job: a retried call, even after someone deleted the image, inserts nothing.
 */
export function insertImageIntoPanel(doc: Y.Doc, input: ImageInsertion): InsertResult {
  const done = jobsOf(doc).get(input.jobId);
  if (done) return { status: 'already-inserted', shapeId: done.shapeId as TLShapeId };
  migrateDoc(doc);
  const panel = panelOf(doc, input.panelId);
  if (!panel) return { status: 'panel-missing' };

  const assetId = `asset:job-${input.jobId}` as TLAssetId;
  const shapeId = `shape:job-${input.jobId}` as TLShapeId;
  const asset: TLImageAsset = {
    id: assetId,
    typeName: 'asset',
    type: 'image',
    props: {
      w: input.width,
      h: input.height,
      name: input.mediaId,
      isAnimated: false,
      mimeType: input.mimeType ?? null,
      src: input.assetSrc,
    },
    meta: { mediaId: input.mediaId, jobId: input.jobId },
  };
  const image: TLImageShape = {
    id: shapeId,
    typeName: 'shape',
    type: 'image',
    x: 0,
    y: 0,
    rotation: 0,
    index: artIndex(childrenOf(doc, panel.id)),
    parentId: panel.id,
    isLocked: false,
    opacity: 1,
    props: {
      w: panel.props.w,
      h: panel.props.h,
      playing: true,
      url: '',
      assetId,
      crop: coverCrop(input.width / input.height, panel.props.w / panel.props.h),
      flipX: false,
      flipY: false,
      altText: '',
    },
    meta: { mediaId: input.mediaId, jobId: input.jobId },
  };
  const generation = panel.props.generation;
  doc.transact(() => {
    const clear = generation?.jobId === input.jobId;
    putRecords(doc, [asset, image, ...(clear ? [{ ...panel, props: { ...panel.props, generation: null } }] : [])]);
    jobsOf(doc).set(input.jobId, { panelId: panel.id, mediaId: input.mediaId, shapeId });
  });
  return { status: 'inserted', shapeId };
}

/**
 * Sets (or clears, with null) the generation state shown on a panel. Returns false when there is no such
 * panel, or when the job's image is already in: a late progress report must not bring back a finished job.
 */
export function setPanelGeneration(doc: Y.Doc, panelId: string, generation: PanelGeneration | null): boolean {
  if (generation) panelGenerationValidator.validate(generation);
  if (generation && jobsOf(doc).has(generation.jobId)) return false;
  migrateDoc(doc);
  const panel = panelOf(doc, panelId);
  if (!panel) return false;
  putRecords(doc, [{ ...panel, props: { ...panel.props, generation } }]);
  return true;
}

function childrenOf(doc: Y.Doc, parentId: string): TLShape[] {
  return [...recordsOf(doc).values()].filter((record): record is TLShape => record.typeName === 'shape' && record.parentId === parentId);
}

/** The crop that shows the middle of an image of one aspect ratio in a box of another, filling the box. */
export function coverCrop(imageRatio: number, boxRatio: number): TLShapeCrop | null {
  if (Math.abs(imageRatio - boxRatio) < 1e-6) return null;
  if (imageRatio > boxRatio) {
    const visible = boxRatio / imageRatio;
    const left = (1 - visible) / 2;
    return { topLeft: { x: left, y: 0 }, bottomRight: { x: 1 - left, y: 1 } };
  }
  const visible = imageRatio / boxRatio;
  const top = (1 - visible) / 2;
  return { topLeft: { x: 0, y: top }, bottomRight: { x: 1, y: 1 - top } };
}
