// Comic edits made through the editor (so they are the person's own, undoable edits): a page of panels
// from a layout template, a picture made to fill the panel it was dropped, pasted or dragged into (always
// under the panel's lettering), and a picture of the person's media placed on the canvas.
import {
  COMIC_PAGE,
  COMIC_PANEL,
  type ComicPanelShape,
  LAYOUT_TEMPLATES,
  type LayoutTemplate,
  artIndex,
  coverCrop,
  layoutTemplate,
} from '@inkwell/collab-server/model';
import { type Editor, type IndexKey, type TLImageShape, type TLShape, type TLShapeId, type VecLike, PageRecordType, createShapeId } from 'tldraw';
import type { TemplateInfo } from './types.ts';

const LABELS: Record<LayoutTemplate, string> = {
  splash: 'Splash page',
  'rows-2': 'Two rows',
  'rows-3': 'Three rows',
  'grid-2x2': '2 × 2 grid',
  'grid-2x3': '2 × 3 grid',
  'grid-3x3': '3 × 3 grid',
  'feature-top': 'Wide panel on top',
};

export const templates: TemplateInfo[] = LAYOUT_TEMPLATES.map((name) => ({
  name,
  label: LABELS[name],
  width: COMIC_PAGE.width,
  height: COMIC_PAGE.height,
  panels: layoutTemplate(name),
}));

const isTemplate = (name: string): name is LayoutTemplate => (LAYOUT_TEMPLATES as string[]).includes(name);

/** "Page 3", or the next free number when someone renamed pages. */
function nextPageName(editor: Editor): string {
  const names = new Set(editor.getPages().map((page) => page.name));
  for (let n = editor.getPages().length + 1; ; n++) if (!names.has(`Page ${n}`)) return `Page ${n}`;
}

/**
 * Lays out a page of panels with a template, in one undoable step: on the current page when it is still
 * empty (a new comic's first page), else on a new page after the others.
 */
export function addTemplatePage(editor: Editor, name: string): void {
  if (!isTemplate(name)) throw new Error(`Unknown layout template ${name}`);
  const rects = layoutTemplate(name);
  editor.markHistoryStoppingPoint('add template page');
  editor.run(() => {
    let pageId = editor.getCurrentPageId();
    if (editor.getCurrentPageShapeIds().size > 0) {
      pageId = PageRecordType.createId();
      editor.createPage({ id: pageId, name: nextPageName(editor) });
      editor.setCurrentPage(pageId);
    }
    editor.createShapes<ComicPanelShape>(
      rects.map((rect) => ({ id: createShapeId(), type: COMIC_PANEL, parentId: pageId, x: rect.x, y: rect.y, props: { w: rect.w, h: rect.h } })),
    );
    editor.selectNone();
  });
  editor.zoomToFit({ animation: { duration: editor.options.animationMediumMs } });
}

/** The top-most panel under a point of the current page. */
export function panelAt(editor: Editor, point: VecLike): ComicPanelShape | undefined {
  const shapes = editor.getCurrentPageShapesSorted();
  for (let i = shapes.length - 1; i >= 0; i--) {
    const shape = shapes[i]!;
    if (shape.type === COMIC_PANEL && editor.isPointInShape(shape, point, { hitInside: true, margin: 0 })) {
      return shape as ComicPanelShape;
    }
  }
  return undefined;
}

/** The only selected shape, when it is a panel. */
export function selectedPanel(editor: Editor): ComicPanelShape | undefined {
  const shape = editor.getOnlySelectedShape();
  return shape?.type === COMIC_PANEL ? (shape as ComicPanelShape) : undefined;
}

/** The panel the selection is about: the selected panel, or the one holding the only selected shape. */
export function panelOfSelection(editor: Editor): ComicPanelShape | undefined {
  const shape = editor.getOnlySelectedShape();
  const parent = shape && shape.type !== COMIC_PANEL ? editor.getShape(shape.parentId) : shape;
  return parent?.type === COMIC_PANEL ? (parent as ComicPanelShape) : undefined;
}

/** The index that puts a picture of the panel on top of its art, under its lettering (the model's rule). */
function indexUnderLettering(editor: Editor, panelId: ComicPanelShape['id'], pictureId: TLShapeId): IndexKey {
  const children = editor.getSortedChildIdsForParent(panelId).flatMap((id) => editor.getShape(id) ?? []);
  return artIndex(children, pictureId);
}

/** Moves pictures of a panel to the top of its art, still under its lettering: a chosen variant, a picture dragged in. */
export function putUnderLettering(editor: Editor, panelId: ComicPanelShape['id'], pictures: readonly TLShape[]): void {
  for (const picture of pictures) {
    if (picture.type === 'image') editor.updateShape({ id: picture.id, type: 'image', index: indexUnderLettering(editor, panelId, picture.id) });
  }
}

/**
 * Makes a picture fill a panel (cropped to the panel's proportions, centred), as the panel's child, on top of
 * its art and under its lettering.
 */
export function fillPanel(editor: Editor, panel: ComicPanelShape, image: TLShape): void {
  if (image.type !== 'image') return;
  const picture = image as TLImageShape;
  const asset = picture.props.assetId ? editor.getAsset(picture.props.assetId) : undefined;
  const props = asset?.props as { w?: number; h?: number } | undefined;
  const ratio = props?.w && props.h ? props.w / props.h : picture.props.w / picture.props.h;
  const { w, h } = panel.props;
  editor.run(() => {
    if (picture.parentId !== panel.id) editor.reparentShapes([picture.id], panel.id);
    const index = indexUnderLettering(editor, panel.id, picture.id);
    editor.updateShape<TLImageShape>({ id: picture.id, type: 'image', x: 0, y: 0, rotation: 0, index, props: { w, h, crop: coverCrop(ratio, w / h) } });
  });
}
