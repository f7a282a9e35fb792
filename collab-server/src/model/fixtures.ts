// Records for the model's tests: a page and the comic shapes on it, valid for the current schema.
import { PageRecordType, type TLAssetId, type TLPageId, type TLParentId, type TLRecord, type TLShape, type TLShapeId, toRichText } from '@tldraw/tlschema';
import type { IndexKey } from '@tldraw/utils';
import * as Y from 'yjs';
import { metaOf, putRecords, SCHEMA_KEY } from './doc.ts';
import { comicSchema } from './schema.ts';
import { type SpeechBubbleProps, defaultCaptionProps, defaultComicPanelProps, defaultSpeechBubbleProps } from './shapes.ts';

export function page(id: string, name: string, index: string): TLRecord {
  return PageRecordType.create({ id: `page:${id}` as TLPageId, name, index: index as IndexKey });
}

function shape(id: string, parentId: string, index: string, x: number, y: number) {
  return {
    id: `shape:${id}` as TLShapeId,
    typeName: 'shape' as const,
    x,
    y,
    rotation: 0,
    index: index as IndexKey,
    parentId: parentId as TLParentId,
    isLocked: false,
    opacity: 1,
    meta: {},
  };
}

export function panel(id: string, parentId: string, index: string, rect: { x: number; y: number; w: number; h: number }): TLRecord {
  return { ...shape(id, parentId, index, rect.x, rect.y), type: 'comic-panel', props: { ...defaultComicPanelProps(), w: rect.w, h: rect.h } };
}

export function bubble(id: string, parentId: string, index: string, text: string, at = { x: 10, y: 10 }, props: Partial<SpeechBubbleProps> = {}): TLRecord {
  return { ...shape(id, parentId, index, at.x, at.y), type: 'speech-bubble', props: { ...defaultSpeechBubbleProps(), richText: toRichText(text), ...props } };
}

export function caption(id: string, parentId: string, index: string, text: string, at = { x: 10, y: 10 }): TLRecord {
  return { ...shape(id, parentId, index, at.x, at.y), type: 'caption', props: { ...defaultCaptionProps(), richText: toRichText(text) } };
}

export function image(id: string, parentId: string, index: string, assetId = 'asset:a'): TLRecord {
  return {
    ...shape(id, parentId, index, 0, 0),
    type: 'image',
    props: { w: 100, h: 100, playing: true, url: '', assetId: assetId as TLAssetId, crop: null, flipX: false, flipY: false, altText: '' },
  };
}

export function bookmark(id: string, parentId: string, index: string, url: string): TLRecord {
  return { ...shape(id, parentId, index, 0, 0), type: 'bookmark', props: { w: 300, h: 320, assetId: null, url } };
}

export function imageAsset(id: string, src: string): TLRecord {
  return {
    id: `asset:${id}` as TLAssetId,
    typeName: 'asset',
    type: 'image',
    props: { w: 100, h: 100, name: id, isAnimated: false, mimeType: 'image/png', src },
    meta: {},
  };
}

/** A Y.Doc holding the records, stamped with the current schema, as the canvas writes it. */
export function docWith(records: TLRecord[]): Y.Doc {
  const doc = new Y.Doc();
  putRecords(doc, records);
  metaOf(doc).set(SCHEMA_KEY, comicSchema().serialize());
  return doc;
}

/** The types of a parent's children in stacking order, bottom first. */
export function stackOf(records: Iterable<TLRecord>, parentId: string): string[] {
  return [...records]
    .filter((record): record is TLShape => record.typeName === 'shape' && record.parentId === parentId)
    .sort((a, b) => (a.index < b.index ? -1 : a.index > b.index ? 1 : 0))
    .map((shape) => shape.type);
}
