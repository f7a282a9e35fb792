// The comic tools: click to place a shape at its default size, or drag to draw it. A shape drawn over a
// panel becomes the panel's child (tldraw parents new shapes to the frame-like shape under them).
import { CAPTION, COMIC_PANEL, SPEECH_BUBBLE } from '@inkwell/collab-server/model';
import { BaseBoxShapeTool } from 'tldraw';

export class SpeechBubbleTool extends BaseBoxShapeTool {
  static override id = SPEECH_BUBBLE;
  static override initial = 'idle';
  override shapeType: typeof SPEECH_BUBBLE = SPEECH_BUBBLE;
}

export class CaptionTool extends BaseBoxShapeTool {
  static override id = CAPTION;
  static override initial = 'idle';
  override shapeType: typeof CAPTION = CAPTION;
}

export class ComicPanelTool extends BaseBoxShapeTool {
  static override id = COMIC_PANEL;
  static override initial = 'idle';
  override shapeType: typeof COMIC_PANEL = COMIC_PANEL;
}

export const comicTools = [SpeechBubbleTool, CaptionTool, ComicPanelTool];
