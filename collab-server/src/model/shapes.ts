// The comic shapes as data: their props, validators and migrations, apart from any rendering, so that the
// server can write valid records without React (the canvas adds the ShapeUtils that draw them).
import {
  DefaultColorStyle,
  DefaultFontStyle,
  DefaultHorizontalAlignStyle,
  DefaultSizeStyle,
  type RecordProps,
  StyleProp,
  type TLDocument,
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

/** Comic lettering fonts, all under open licences (SIL OFL) and served from our own origin. */
export const LETTERING_FONTS = ['comic-neue', 'bangers', 'patrick-hand', 'kalam'] as const;
export type LetteringFont = (typeof LETTERING_FONTS)[number];

/**
 * The lettering font a bubble or caption asks for: one of LETTERING_FONTS, or 'auto' for the comic's
 * default (see comicLetteringFont), which, when the comic has none, leaves tldraw's `font` style in charge.
 */
export const LetteringFontStyle = StyleProp.defineEnum('inkwell:lettering', { defaultValue: 'auto', values: ['auto', ...LETTERING_FONTS] });
export type LetteringChoice = 'auto' | LetteringFont;

/** Where a comic keeps its default lettering font: a key of its tldraw document record's meta. */
export const COMIC_LETTERING_KEY = 'letteringFont';

export const isLetteringFont = (value: unknown): value is LetteringFont => (LETTERING_FONTS as readonly unknown[]).includes(value);

/** The comic's default lettering font, from its document record; null when it has none. */
export function comicLetteringFont(document: Pick<TLDocument, 'meta'> | undefined): LetteringFont | null {
  const value = document?.meta[COMIC_LETTERING_KEY];
  return isLetteringFont(value) ? value : null;
}

/** The lettering font a bubble or caption is drawn in; null for tldraw's `font` style. */
export function letteringFontOf(props: { lettering: LetteringChoice }, comicDefault: LetteringFont | null): LetteringFont | null {
  return props.lettering === 'auto' ? comicDefault : props.lettering;
}

/** Lettering that does not fit its balloon shrinks down to this share of its styled size, then shows it overflows. */
export const MIN_LETTERING_SCALE = 0.5;

/** The text styles that speech bubbles and captions share (tldraw's default style props, and the lettering font). */
interface TextStyleProps {
  color: TLDefaultColorStyle;
  size: TLDefaultSizeStyle;
  font: TLDefaultFontStyle;
  align: TLDefaultHorizontalAlignStyle;
  lettering: LetteringChoice;
}

const textStyleProps: RecordProps<TLBaseShape<string, TextStyleProps>> = {
  color: DefaultColorStyle,
  size: DefaultSizeStyle,
  font: DefaultFontStyle,
  align: DefaultHorizontalAlignStyle,
  lettering: LetteringFontStyle,
};

/** The migration step that gives older bubbles and captions the comic's default lettering font. */
const addLettering = {
  up: (props: Record<string, unknown>) => {
    props.lettering = 'auto';
  },
  down: (props: Record<string, unknown>) => {
    delete props.lettering;
  },
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

const bubbleVersions = createShapePropsMigrationIds(SPEECH_BUBBLE, { AddKind: 1, AddLettering: 2 });

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
    { id: bubbleVersions.AddLettering, ...addLettering },
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

const captionVersions = createShapePropsMigrationIds(CAPTION, { RichTextFromText: 1, AddLettering: 2 });

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
    { id: captionVersions.AddLettering, ...addLettering },
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
    lettering: 'auto',
  };
}

export function defaultCaptionProps(): CaptionProps {
  return { w: 240, h: 60, richText: toRichText(''), color: 'black', size: 's', font: 'sans', align: 'start', lettering: 'auto' };
}

declare module '@tldraw/tlschema' {
  interface TLGlobalShapePropsMap {
    'comic-panel': ComicPanelProps;
    'speech-bubble': SpeechBubbleProps;
    caption: CaptionProps;
  }
}
