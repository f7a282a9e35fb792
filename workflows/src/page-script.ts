// The page script: a page of panels written as text, one block per panel (what is seen, then the lines of
// dialogue and captions), parsed the same way by the API (which queues the panels) and the web (which points
// at a mistake while it is typed). Pure: no I/O, so both can import it.

export const PAGE_SCRIPT_LIMITS = {
  /** Characters in the whole script. */
  script: 20_000,
  /** Characters in one panel's description (it becomes the panel's prompt, with the style added). */
  description: 1500,
  /** Characters in one line of dialogue or one caption. */
  line: 300,
  /** Lines of dialogue and captions in one panel. */
  linesPerPanel: 8,
  /** Characters the workflow draws from the library in one panel. */
  charactersPerPanel: 3,
} as const;

/** How the format is explained to the people who write it (the dialog shows it; the API documents it). */
export const PAGE_SCRIPT_FORMAT = `One block per panel, in reading order (rows top to bottom, left to right):

PANEL 1
Wide shot of a rainy street at night. Maya runs under a flickering sign.
CAPTION: Three hours earlier.
MAYA: Where is everyone?

PANEL 2
Close on Maya's face, lit red.
MAYA (thinks): Too quiet.

- A block starts with a line "PANEL" and its number (or just "PANEL").
- The other lines say what is seen: that is what gets drawn. No text is drawn into the picture.
- "NAME: words" is a line of dialogue by a character of this comic's library (any case).
  Add (thinks) or (shouts) after the name for a thought or a shout.
- "CAPTION: words" is a caption. Blank lines and lines starting with # are ignored.
- Lines become bubbles and captions in the panel, top to bottom, in the order written; edit them afterwards as usual.
- Characters named in a panel (up to ${PAGE_SCRIPT_LIMITS.charactersPerPanel}) are drawn from their reference pictures.`;

export type ScriptLetteringKind = 'speech' | 'thought' | 'shout' | 'caption';

export interface ScriptLine {
  kind: ScriptLetteringKind;
  /** The character's name as in the library; none for captions. */
  speaker: string | null;
  text: string;
  /** 1-based line of the script. */
  line: number;
}

export interface ScriptPanel {
  /** 1-based position of the block, which is the panel it goes into, in reading order. */
  number: number;
  /** The line of its PANEL heading. */
  line: number;
  description: string;
  /** Ids of the library characters it names (in the description first, then speakers), at most three. */
  characterIds: string[];
  lettering: ScriptLine[];
}

export interface ScriptError {
  line: number;
  message: string;
}

export interface ScriptCharacter {
  id: string;
  name: string;
}

export type PageScriptResult = { ok: true; panels: ScriptPanel[] } | { ok: false; errors: ScriptError[] };

// "PANEL", "Panel 2", "## Panel 2:", "PANEL 2: what is seen" (but not "Panel of glass shatters").
const HEADING = /^\s*(?:#{1,6}\s*)?panel(?:\s+(\d{1,3}))?\s*(?:[:.)-]\s*(.*))?$/i;
/** "PANEL TWO": a heading with its number in words. */
const WORDY_HEADING = /^\s*(?:#{1,6}\s*)?panel\s+\p{L}+\s*:?\s*$/iu;
// "NAME: words", "NAME (thinks): words": a name of letters, digits, spaces, ' . - (no colon), then a colon.
const DIALOGUE = /^\s*([\p{L}\p{N}][\p{L}\p{N} '’.-]{0,79}?)\s*(?:\(([^)]{1,30})\))?\s*:\s*(.*)$/u;
const CAPTIONS = new Set(['caption', 'narration', 'narrator']);
const THOUGHT = /^(thinks?|thought|thinking)$/i;
const SHOUT = /^(shouts?|shouting|yells?|screams?)$/i;

const normal = (name: string) => name.trim().replace(/\s+/g, ' ').toLowerCase();
const isShouted = (name: string) => /\p{L}/u.test(name) && name === name.toUpperCase();
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function kindOf(parenthetical: string | undefined): Exclude<ScriptLetteringKind, 'caption'> {
  const word = parenthetical?.trim() ?? '';
  if (THOUGHT.test(word)) return 'thought';
  if (SHOUT.test(word)) return 'shout';
  return 'speech';
}

/**
 * Reads a page script into its panels, or says what is wrong with each line that is. `panelCount` is how
 * many panels the page has (more blocks than that is an error); `characters` is the comic's library.
 */
export function parsePageScript(script: string, options: { panelCount: number; characters: readonly ScriptCharacter[] }): PageScriptResult {
  const errors: ScriptError[] = [];
  if (script.length > PAGE_SCRIPT_LIMITS.script) {
    return { ok: false, errors: [{ line: 1, message: `A script has at most ${PAGE_SCRIPT_LIMITS.script} characters` }] };
  }
  const library = new Map(options.characters.map((character) => [normal(character.name), character]));
  const known = options.characters.map((c) => c.name).join(', ');
  const blocks: (ScriptPanel & { descriptionLines: string[] })[] = [];

  script.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const line = index + 1;
    const text = raw.trim();
    const heading = HEADING.exec(text);
    if (!text || (text.startsWith('#') && !heading)) return;
    if (heading || WORDY_HEADING.test(text)) {
      const number = blocks.length + 1;
      if (!heading) errors.push({ line, message: `Number the panel in digits: "PANEL ${number}"` });
      else if (heading[1] && Number(heading[1]) !== number) errors.push({ line, message: `This is panel ${number}, but it is numbered ${heading[1]}` });
      if (number === options.panelCount + 1) {
        errors.push({ line, message: `This page has ${options.panelCount} panel${options.panelCount === 1 ? '' : 's'}: there is none left for this block` });
      }
      const seen = heading?.[2]?.trim();
      blocks.push({ number, line, description: '', descriptionLines: seen ? [seen] : [], characterIds: [], lettering: [] });
      return;
    }

    const block = blocks.at(-1);
    if (!block) {
      errors.push({ line, message: 'Start the script with a line "PANEL 1": this line belongs to no panel' });
      return;
    }

    const dialogue = DIALOGUE.exec(text);
    const name = dialogue?.[1]?.trim() ?? '';
    const character = library.get(normal(name));
    const caption = CAPTIONS.has(normal(name));
    // A known name or CAPTION in any case, or a NAME IN CAPITALS (then a typo or a missing character) is
    // lettering; anything else ("Close-up: her hands") is part of what is seen.
    if (dialogue && (character || caption || isShouted(name))) {
      const words = dialogue[3]!.trim();
      const who = caption ? 'The caption' : `${character?.name ?? name}'s line`;
      if (!caption && !character) {
        errors.push({
          line,
          message: known
            ? `${name} is not one of this comic's characters (${known}): check the spelling, or add them to the library`
            : `${name} is not one of this comic's characters: the library is empty, so add them first or write the line as a CAPTION`,
        });
      } else if (!words) errors.push({ line, message: `${who} is empty: write the words after the colon` });
      else if (words.length > PAGE_SCRIPT_LIMITS.line) errors.push({ line, message: `${who} has ${words.length} characters; at most ${PAGE_SCRIPT_LIMITS.line} fit a bubble` });
      else if (block.lettering.length === PAGE_SCRIPT_LIMITS.linesPerPanel) {
        errors.push({ line, message: `A panel holds at most ${PAGE_SCRIPT_LIMITS.linesPerPanel} lines of dialogue and captions: move some to another panel` });
      } else {
        block.lettering.push(
          caption ? { kind: 'caption', speaker: null, text: words, line } : { kind: kindOf(dialogue[2]), speaker: character!.name, text: words, line },
        );
      }
      return;
    }
    block.descriptionLines.push(text);
  });

  if (blocks.length === 0 && errors.length === 0) {
    errors.push({ line: 1, message: 'Write at least one block that starts with a line "PANEL 1"' });
  }
  for (const block of blocks) {
    block.description = block.descriptionLines.join(' ');
    if (!block.description) errors.push({ line: block.line, message: `Panel ${block.number} has no description: say what is seen in it` });
    else if (block.description.length > PAGE_SCRIPT_LIMITS.description) {
      errors.push({ line: block.line, message: `Panel ${block.number}'s description has ${block.description.length} characters; at most ${PAGE_SCRIPT_LIMITS.description}` });
    }
    block.characterIds = charactersOf(block, options.characters);
  }
  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => a.line - b.line) };
  return { ok: true, panels: blocks.map(({ descriptionLines: _, ...panel }) => panel) };
}

/** The library characters a block names: those in what is seen, then the speakers, up to the limit. */
function charactersOf(block: { description: string; lettering: ScriptLine[] }, characters: readonly ScriptCharacter[]): string[] {
  const seen = characters.filter((c) => new RegExp(`(^|[^\\p{L}\\p{N}])${escape(c.name.trim())}($|[^\\p{L}\\p{N}])`, 'iu').test(block.description));
  const speaking = block.lettering.flatMap((l) => characters.filter((c) => c.name === l.speaker));
  return [...new Set([...seen, ...speaking].map((c) => c.id))].slice(0, PAGE_SCRIPT_LIMITS.charactersPerPanel);
}

const side = (value: number) => Math.min(1024, Math.max(256, Math.round(value / 64) * 64));

/** The picture's size for a panel `w`×`h`: its proportions, the longer side 1024, both sides multiples of 64. */
export function pictureSize(w: number, h: number): { width: number; height: number } {
  return w >= h ? { width: 1024, height: side((1024 * h) / w) } : { width: side((1024 * w) / h), height: 1024 };
}
