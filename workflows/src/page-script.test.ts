import { describe, expect, it } from 'vitest';
import { PAGE_SCRIPT_FORMAT, PAGE_SCRIPT_LIMITS, parsePageScript } from './page-script.ts';

const characters = [
  { id: 'c-maya', name: 'Maya' },
  { id: 'c-tom', name: 'Old Tom' },
  { id: 'c-rex', name: 'Rex' },
  { id: 'c-ivy', name: 'Ivy' },
];
const parse = (script: string, panelCount = 4) => parsePageScript(script, { panelCount, characters });
const errorsOf = (script: string, panelCount = 4) => {
  const result = parse(script, panelCount);
  if (result.ok) throw new Error('expected errors');
  return result.errors;
};

describe('parsePageScript', () => {
  it('reads each block into a panel: what is seen, and its lines in order, with the characters it names', () => {
    const result = parse(`PANEL 1
Wide shot of a rainy street at night. Maya runs under a flickering sign.
CAPTION: Three hours earlier.
MAYA: Where is everyone?

Panel 2:
Close on old tom at the counter.
old tom (thinks): Not her again.
Maya (SHOUTS): Tom!
Rex: Woof.`);
    expect(result).toEqual({
      ok: true,
      panels: [
        {
          number: 1,
          line: 1,
          description: 'Wide shot of a rainy street at night. Maya runs under a flickering sign.',
          characterIds: ['c-maya'],
          lettering: [
            { kind: 'caption', speaker: null, text: 'Three hours earlier.', line: 3 },
            { kind: 'speech', speaker: 'Maya', text: 'Where is everyone?', line: 4 },
          ],
        },
        {
          number: 2,
          line: 6,
          description: 'Close on old tom at the counter.',
          characterIds: ['c-tom', 'c-maya', 'c-rex'],
          lettering: [
            { kind: 'thought', speaker: 'Old Tom', text: 'Not her again.', line: 8 },
            { kind: 'shout', speaker: 'Maya', text: 'Tom!', line: 9 },
            { kind: 'speech', speaker: 'Rex', text: 'Woof.', line: 10 },
          ],
        },
      ],
    });
  });

  it('forgives: headings with the description on them, no numbers, comments, blank lines, and colons in what is seen', () => {
    const result = parse(`# Page one, the chase
## Panel 1: A rooftop at dawn.

panel
Close-up: her hands shake.
NARRATOR: Later.`);
    expect(result.ok && result.panels.map((p) => [p.number, p.description, p.lettering.map((l) => l.kind)])).toEqual([
      [1, 'A rooftop at dawn.', []],
      [2, 'Close-up: her hands shake.', ['caption']],
    ]);
  });

  it('keeps at most three characters per panel, those seen first', () => {
    const result = parse('PANEL 1\nMaya, Rex and Ivy wait.\nOLD TOM: Come in.');
    expect(result.ok && result.panels[0]!.characterIds).toEqual(['c-maya', 'c-rex', 'c-ivy']);
    expect(PAGE_SCRIPT_LIMITS.charactersPerPanel).toBe(3);
  });

  it('says what is wrong, line by line, for malformed blocks', () => {
    expect(errorsOf('Maya waits.\nPANEL 1\nA street.')).toEqual([{ line: 1, message: expect.stringContaining('belongs to no panel') }]);
    expect(errorsOf('PANEL 1\nMAYA: Hello.')).toEqual([{ line: 1, message: 'Panel 1 has no description: say what is seen in it' }]);
    expect(errorsOf('PANEL 1\nA street.\nMAYA:')).toEqual([{ line: 3, message: "Maya's line is empty: write the words after the colon" }]);
    expect(errorsOf('PANEL 1\nA street.\nCAPTION:   ')).toEqual([{ line: 3, message: 'The caption is empty: write the words after the colon' }]);
    expect(errorsOf('PANEL 1\nA street.\nMAYYA: Hello.')).toEqual([
      { line: 3, message: "MAYYA is not one of this comic's characters (Maya, Old Tom, Rex, Ivy): check the spelling, or add them to the library" },
    ]);
    expect(errorsOf(`PANEL 1\nA street.\nMAYA: ${'a'.repeat(301)}`)).toEqual([{ line: 3, message: "Maya's line has 301 characters; at most 300 fit a bubble" }]);
    expect(errorsOf(`PANEL 1\n${'x'.repeat(1501)}`)).toEqual([{ line: 1, message: "Panel 1's description has 1501 characters; at most 1500" }]);
    expect(errorsOf('PANEL 1\nA.\nPANEL 3\nB.')).toEqual([{ line: 3, message: 'This is panel 2, but it is numbered 3' }]);
    expect(errorsOf('PANEL ONE\nA street.')).toEqual([{ line: 1, message: 'Number the panel in digits: "PANEL 1"' }]);
    expect(errorsOf('')).toEqual([{ line: 1, message: expect.stringContaining('PANEL 1') }]);
    expect(errorsOf(`PANEL 1\nA street.\n${'CAPTION: more.\n'.repeat(9)}`)).toEqual([{ line: 11, message: expect.stringContaining('at most 8 lines') }]);
    expect(errorsOf('x'.repeat(20_001))).toEqual([{ line: 1, message: 'A script has at most 20000 characters' }]);
  });

  it('refuses more blocks than the page has panels, at the first one too many', () => {
    expect(errorsOf('PANEL 1\nA.\nPANEL 2\nB.\nPANEL 3\nC.', 2)).toEqual([{ line: 5, message: 'This page has 2 panels: there is none left for this block' }]);
    expect(parse('PANEL 1\nA.', 2).ok).toBe(true);
  });

  it('lists every mistake at once, in line order, and names the empty library when there is none', () => {
    const result = parsePageScript('PANEL 1\nMAYA: Hi.\nPANEL 2\nA.\nBOB:', { panelCount: 4, characters: [] });
    expect(result.ok ? [] : result.errors.map((e) => e.line)).toEqual([1, 2, 5]);
    expect(result.ok ? '' : result.errors[1]!.message).toContain('the library is empty');
  });

  it('documents the format with an example that parses', () => {
    const example = PAGE_SCRIPT_FORMAT.split('\n\n- ')[0]!.split('\n').slice(2).join('\n');
    expect(parse(example).ok).toBe(true);
  });
});
