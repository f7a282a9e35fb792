// The React island: tldraw with the comic shapes and tools, over a CanvasSession. The only module of the
// web that imports React; the Svelte page loads it with a dynamic import, in the browser only.
import { getAssetUrlsByImport } from '@tldraw/assets/imports.vite';
import { useEffect, useMemo } from 'react';
import { createRoot } from 'react-dom/client';
import {
  ArrowToolbarItem,
  AssetToolbarItem,
  DefaultStylePanel,
  DefaultStylePanelContent,
  DefaultToolbar,
  DrawToolbarItem,
  type Editor,
  EllipseToolbarItem,
  EraserToolbarItem,
  HandToolbarItem,
  HighlightToolbarItem,
  LaserToolbarItem,
  LineToolbarItem,
  NoteToolbarItem,
  RectangleToolbarItem,
  SelectToolbarItem,
  StylePanelSection,
  type TLComponents,
  type TLUiIconJsx,
  type TLUiOverrides,
  type TLUiStylePanelProps,
  TextToolbarItem,
  Tldraw,
  TldrawUiButton,
  ToolbarItem,
  defaultHandleExternalFileContent,
  useEditor,
  useToasts,
  useTranslation,
  useValue,
} from 'tldraw';
import 'tldraw/tldraw.css';
import './canvas.css';
import { SPEECH_BUBBLE, SPEECH_BUBBLE_KINDS, type SpeechBubbleKind, type SpeechBubbleShape } from '@inkwell/collab-server/model';
import { addTemplatePage, fillPanel, panelAt, selectedPanel, templates } from './comic-actions.ts';
import { CaptionIcon, PanelIcon, ShoutIcon, SpeechBubbleIcon, ThoughtIcon } from './icons.tsx';
import { loadLetteringFonts } from './lettering-fonts.ts';
import { LetteringSection } from './lettering-panel.tsx';
import { PanelOverlays } from './panel-overlays.tsx';
import { CommentLayer, CommentPins } from '../comments/pins.tsx';
import { CanvasSession } from './session.ts';
import { CaptionShapeUtil } from './shapes/caption.tsx';
import { ComicPanelShapeUtil } from './shapes/comic-panel.tsx';
import { SpeechBubbleShapeUtil } from './shapes/speech-bubble.tsx';
import { comicTools } from './tools.ts';
import type { MountCanvas } from './types.ts';

// tldraw's fonts, icons and translations, emitted by Vite into this site's own assets (never its CDN).
const assetUrls = getAssetUrlsByImport();

const overrides: TLUiOverrides = {
  tools(editor, tools) {
    const tool = (id: string, label: string, kbd: string, icon: TLUiIconJsx) => ({
      id,
      label,
      kbd,
      icon,
      onSelect: () => editor.setCurrentTool(id),
    });
    tools['speech-bubble'] = tool('speech-bubble', 'tool.speech-bubble', 's', <SpeechBubbleIcon />);
    tools.caption = tool('caption', 'tool.caption', 'c', <CaptionIcon />);
    tools['comic-panel'] = tool('comic-panel', 'tool.comic-panel', 'p', <PanelIcon />);
    return tools;
  },
  translations: {
    en: {
      'tool.speech-bubble': 'Speech bubble',
      'tool.caption': 'Caption',
      'tool.comic-panel': 'Panel',
    },
  },
};

/** The comic tools come right after selecting and panning; tldraw's drawing tools follow. */
function ComicToolbar() {
  return (
    <DefaultToolbar>
      <SelectToolbarItem />
      <HandToolbarItem />
      <ToolbarItem tool="speech-bubble" />
      <ToolbarItem tool="caption" />
      <ToolbarItem tool="comic-panel" />
      <AssetToolbarItem />
      <DrawToolbarItem />
      <TextToolbarItem />
      <EraserToolbarItem />
      <ArrowToolbarItem />
      <NoteToolbarItem />
      <RectangleToolbarItem />
      <EllipseToolbarItem />
      <LineToolbarItem />
      <HighlightToolbarItem />
      <LaserToolbarItem />
    </DefaultToolbar>
  );
}

/** On an empty page, editors are offered a layout to start from. */
function EmptyPageHint() {
  const editor = useEditor();
  const empty = useValue('empty page', () => editor.getCurrentPageShapeIds().size === 0, [editor]);
  const readonly = useValue('readonly', () => editor.getIsReadonly(), [editor]);
  if (!empty) return null;
  if (readonly) return <div className="inkwell-empty-page">Nothing on this page yet.</div>;
  return (
    <div className="inkwell-empty-page">
      <p>This page is empty. Start with a layout:</p>
      <div className="inkwell-empty-page__choices">
        {templates
          .filter((template) => ['grid-2x2', 'rows-3', 'feature-top', 'splash'].includes(template.name))
          .map((template) => (
            <button key={template.name} type="button" onClick={() => addTemplatePage(editor, template.name)}>
              {template.label}
            </button>
          ))}
      </div>
      <p className="inkwell-empty-page__more">or draw panels with the Panel tool (P).</p>
    </div>
  );
}

const KINDS: Record<SpeechBubbleKind, { label: string; Icon: typeof SpeechBubbleIcon }> = {
  speech: { label: 'Speech', Icon: SpeechBubbleIcon },
  thought: { label: 'Thought', Icon: ThoughtIcon },
  shout: { label: 'Shout', Icon: ShoutIcon },
};

/** tldraw's style panel, plus the kind of the selected speech bubbles and the lettering font. */
function ComicStylePanel(props: TLUiStylePanelProps) {
  const editor = useEditor();
  const bubbles = useValue(
    'selected bubbles',
    () => editor.getSelectedShapes().filter((shape): shape is SpeechBubbleShape => shape.type === SPEECH_BUBBLE),
    [editor],
  );
  const kinds = new Set(bubbles.map((bubble) => bubble.props.kind));
  const setKind = (kind: SpeechBubbleKind) => {
    editor.markHistoryStoppingPoint('bubble kind');
    editor.updateShapes(bubbles.map((bubble) => ({ id: bubble.id, type: SPEECH_BUBBLE, props: { kind } })));
  };
  return (
    <DefaultStylePanel {...props}>
      <DefaultStylePanelContent />
      {bubbles.length > 0 && (
        <StylePanelSection>
          <div className="inkwell-bubble-kinds" role="group" aria-label="Bubble kind">
            {SPEECH_BUBBLE_KINDS.map((kind) => {
              const { label, Icon } = KINDS[kind];
              return (
                <TldrawUiButton
                  key={kind}
                  type="icon"
                  title={`${label} bubble`}
                  aria-label={`${label} bubble`}
                  aria-pressed={kinds.size === 1 && kinds.has(kind)}
                  isActive={kinds.size === 1 && kinds.has(kind)}
                  onClick={() => setKind(kind)}
                >
                  <Icon />
                </TldrawUiButton>
              );
            })}
          </div>
        </StylePanelSection>
      )}
      <LetteringSection />
    </DefaultStylePanel>
  );
}

/** Pictures dropped or pasted onto a panel fill it (and become its child); anywhere else they land as usual. */
function PanelPictures() {
  const editor = useEditor();
  const toasts = useToasts();
  const msg = useTranslation();
  useEffect(() => {
    editor.registerExternalContentHandler('files', async (content) => {
      const panel = content.point ? panelAt(editor, content.point) : selectedPanel(editor);
      await defaultHandleExternalFileContent(editor, content, { toasts, msg, maxAssetSize: 20 * 1024 * 1024 });
      if (!panel) return;
      const [picture] = editor.getSelectedShapes().filter((shape) => shape.type === 'image');
      if (picture) fillPanel(editor, panel, picture);
    });
  }, [editor, toasts, msg]);
  return null;
}

/** tldraw's UI slots; in front of the canvas, the comic's own layers (they need the session). */
function comicComponents(session: CanvasSession, comments: CommentLayer | undefined): TLComponents {
  return {
    Toolbar: ComicToolbar,
    StylePanel: ComicStylePanel,
    InFrontOfTheCanvas: () => (
      <>
        <EmptyPageHint />
        <PanelOverlays generations={session.generations} />
        {comments && <CommentPins layer={comments} />}
      </>
    ),
    // Who is here, and following them, is on the page around the canvas.
    SharePanel: null,
  };
}

interface ComicEditorProps {
  session: CanvasSession;
  comments: CommentLayer | undefined;
  licenseKey: string | undefined;
  target: HTMLElement;
}

function ComicEditor({ session, comments, licenseKey, target }: ComicEditorProps) {
  const loaded = useValue(session.loaded);
  // tldraw adds its own shapes (images included) to these; panels show this session's live progress.
  const shapeUtils = useMemo(
    () => [ComicPanelShapeUtil.configure({ generations: session.generations }), SpeechBubbleShapeUtil, CaptionShapeUtil],
    [session],
  );
  const components = useMemo(() => comicComponents(session, comments), [session, comments]);
  if (!loaded) return <div className="inkwell-canvas-loading">Opening the comic…</div>;
  return (
    <Tldraw
      store={session.store}
      user={session.currentUser}
      shapeUtils={shapeUtils}
      tools={comicTools}
      overrides={overrides}
      components={components}
      assetUrls={assetUrls}
      licenseKey={licenseKey}
      locale="en"
      colorScheme="system"
      onMount={(editor: Editor) => {
        // For the browser's console and the end-to-end tests: the editor, on the canvas element.
        Object.defineProperty(target, 'inkwellEditor', { value: editor, configurable: true });
        const detach = session.attachEditor(editor);
        return () => {
          detach();
          Reflect.deleteProperty(target, 'inkwellEditor');
        };
      }}
    >
      <PanelPictures />
    </Tldraw>
  );
}

export const mountCanvas: MountCanvas = (target, options) => {
  const session = new CanvasSession(options);
  const comments = options.comments && new CommentLayer(options.comments);
  if (comments) options.comments?.attach(comments.canvas);
  const root = createRoot(target);
  // Bubbles fit their text by measuring it: their faces must be in before the first bubble is drawn.
  let destroyed = false;
  void loadLetteringFonts().then(() => {
    if (!destroyed) root.render(<ComicEditor session={session} comments={comments} licenseKey={options.licenseKey} target={target} />);
  });
  return {
    templates,
    addPage: (template) => session.addPage(template),
    follow: (userId) => session.follow(userId),
    currentPage: () => session.currentPage(),
    destroy() {
      destroyed = true;
      root.unmount();
      session.destroy();
    },
  };
};
