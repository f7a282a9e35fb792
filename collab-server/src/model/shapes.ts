// The comic shapes as data: their props, validators and migrations, apart from any rendering, so that the
// server can write valid records without React (the canvas adds the ShapeUtils that draw them).
import {
  DefaultColorStyle,
  DefaultFontStyle,
  DefaultHorizontalAlignStyle,
  DefaultSizeStyle,
  type RecordProps,
  type TLBaseShape,
  type TLDefaultColorStyle,
  type TLDefaultFontStyle,
  type TLDefaultHorizontalAlignStyle,
  type TLDefaultSizeStyle,
  type TLRichText,
  createShapePropsMigrationIds,
  createShapePropsMigrationSequence,
  richTextValidator,
  toRichText,
} from '@tldraw/tlschema';
import { T } from '@tldraw/validate';

export const COMIC_PANEL = 'comic-panel';
export const SPEECH_BUBBLE = 'speech-bubble';
export const CAPTION = 'caption';

// ---- panel --------------------------------------------------------------------------------------------------

export const PANEL_GENERATION_STATUSES = ['queued', 'running', 'failed', 'cancelled'] as const;
export type PanelGenerationStatus = (typeof PANEL_GENERATION_STATUSES)[number];

/** A generation job aimed at the panel; null when none is pending (a finished job leaves its image instead). */
export interface PanelGeneration {
  status: PanelGenerationStatus;
  jobId: string;
  /** 0..100 */
  progress: number;
  message?: string;
}

export const panelGenerationValidator: T.Validator<PanelGeneration> = T.object({
  status: T.literalEnum(...PANEL_GENERATION_STATUSES),
  jobId: T.string,
  progress: T.number.check((value) => {
    if (value < 0 || value > 100) throw new T.ValidationError(`Expected a progress between 0 and 100, got ${value}`);
  }),
  message: T.string.optional(),
});

/** A frame-like panel: it clips its children, which have the panel as their parentId. */
export interface ComicPanelProps {
  w: number;
  h: number;
  generation: PanelGeneration | null;
}
export type ComicPanelShape = TLBaseShape<typeof COMIC_PANEL, ComicPanelProps>;

export const comicPanelProps: RecordProps<ComicPanelShape> = {
  w: T.nonZeroNumber,
  h: T.nonZeroNumber,
  generation: panelGenerationValidator.nullable(),
};

const panelVersions = createShapePropsMigrationIds(COMIC_PANEL, { AddGeneration: 1 });

export const comicPanelMigrations = createShapePropsMigrationSequence({
  sequence: [
    {
      id: panelVersions.AddGeneration,
      up: (props) => {
        props.generation = null;
      },
      down: (props) => {
        delete props.generation;
      },
    },
  ],
});

// ---- text styles -------------------------------------------------------------------------------------------

/** The text styles that speech bubbles and captions share (tldraw's default style props). */
interface TextStyleProps {
  color: TLDefaultColorStyle;
  size: TLDefaultSizeStyle;
  font: TLDefaultFontStyle;
  align: TLDefaultHorizontalAlignStyle;
}

const textStyleProps: RecordProps<TLBaseShape<string, TextStyleProps>> = {
  color: DefaultColorStyle,
  size: DefaultSizeStyle,
  font: DefaultFontStyle,
  align: DefaultHorizontalAlignStyle,
};

// ---- speech bubble -----------------------------------------------------------------------------------------

export const SPEECH_BUBBLE_KINDS = ['speech', 'thought', 'shout'] as const;
export type SpeechBubbleKind = (typeof SPEECH_BUBBLE_KINDS)[number];

/** Where the tail points, in coordinates normalised to the bubble's box: {x: 0.5, y: 1.4} is below its middle. */
export interface BubbleTail {
  x: number;
  y: number;
}

export interface SpeechBubbleProps extends TextStyleProps {
  w: number;
  h: number;
  richText: TLRichText;
  tail: BubbleTail;
  kind: SpeechBubbleKind;
}
export type SpeechBubbleShape = TLBaseShape<typeof SPEECH_BUBBLE, SpeechBubbleProps>;

export const speechBubbleProps: RecordProps<SpeechBubbleShape> = {
  w: T.nonZeroNumber,
  h: T.nonZeroNumber,
  richText: richTextValidator,
  tail: T.object({ x: T.number, y: T.number }),
  kind: T.literalEnum(...SPEECH_BUBBLE_KINDS),
  ...textStyleProps,
};

const bubbleVersions = createShapePropsMigrationIds(SPEECH_BUBBLE, { AddKind: 1 });

export const speechBubbleMigrations = createShapePropsMigrationSequence({
  sequence: [
    {
      id: bubbleVersions.AddKind,
      up: (props) => {
        props.kind = 'speech';
      },
      down: (props) => {
        delete props.kind;
      },
    },
  ],
});

// ---- caption -----------------------------------------------------------------------------------------------

export interface CaptionProps extends TextStyleProps {
  w: number;
  h: number;
  richText: TLRichText;
}
export type CaptionShape = TLBaseShape<typeof CAPTION, CaptionProps>;

export const captionProps: RecordProps<CaptionShape> = {
  w: T.nonZeroNumber,
  h: T.nonZeroNumber,
  richText: richTextValidator,
  ...textStyleProps,
};

const captionVersions = createShapePropsMigrationIds(CAPTION, { RichTextFromText: 1 });

export const captionMigrations = createShapePropsMigrationSequence({
  sequence: [
    {
      id: captionVersions.RichTextFromText,
      up: (props) => {
        props.richText = toRichText(typeof props.text === 'string' ? props.text : '');
        delete props.text;
      },
      // No way down: plain text cannot hold rich text, so older clients must update.
    },
  ],
});

// ---- defaults ----------------------------------------------------------------------------------------------

export function defaultComicPanelProps(): ComicPanelProps {
  return { w: 400, h: 300, generation: null };
}

export function defaultSpeechBubbleProps(): SpeechBubbleProps {
  return {
    w: 200,
    h: 120,
    richText: toRichText(''),
    tail: { x: 0.5, y: 1.4 },
    kind: 'speech',
    color: 'black',
    size: 'm',
    font: 'draw',
    align: 'middle',
  };
}

export function defaultCaptionProps(): CaptionProps {
  return { w: 240, h: 60, richText: toRichText(''), color: 'black', size: 's', font: 'sans', align: 'start' };
}

declare module '@tldraw/tlschema' {
  interface TLGlobalShapePropsMap {
    'comic-panel': ComicPanelProps;
    'speech-bubble': SpeechBubbleProps;
    caption: CaptionProps;
  }
}
