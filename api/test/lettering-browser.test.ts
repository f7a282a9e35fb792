// The server's lettering breaks lines exactly where the browser does (the canvas is a web page): the same
// texts, fonts and sizes are laid out by Chromium (npm test installs it, as for Playwright) in a box styled
// like tldraw's labels, and its lines are compared with ours. Same lines means the same height, so a bubble
// that the canvas grew to fit its text fits it in exports too.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lettering } from '@inkwell/db';
import { FONT_FILES, type FontKey, layOutLettering, textBoxOf } from '../src/lib/lettering.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TEXTS = [
  'Who keeps the light tonight when the storm comes in?',
  'I told you — never, EVER go down to the lighthouse after dark. Do you hear me?',
  'Meanwhile, far across the bay, the old keeper was counting the ships one by one.',
  'Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!',
  'Short',
  'First line\nSecond line, which is a good deal longer than the first',
  'The quick brown fox jumps over the lazy dog, twice, and then goes home for tea.',
];

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'inkwell-lettering-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Lines as the browser breaks them: each character's line found from its box, as tldraw's labels style text. */
function page(cases: { font: FontKey; fontSize: number; width: number; text: string }[]): string {
  const require = createRequire(import.meta.url);
  const faces = Object.entries(FONT_FILES)
    .map(([key, file]) => `@font-face{font-family:f_${key};src:url('${pathToFileURL(require.resolve(file))}') format('woff2')}`)
    .join('');
  const script = `
    const cases = ${JSON.stringify(cases)};
    Promise.all(${JSON.stringify(Object.keys(FONT_FILES))}.map((key) => document.fonts.load('20px f_' + key))).then(() => {
      document.getElementById('out').textContent = JSON.stringify(cases.map((c) => {
        const box = Object.assign(document.createElement('div'), { textContent: c.text });
        Object.assign(box.style, { fontFamily: 'f_' + c.font, fontSize: c.fontSize + 'px', maxWidth: c.width + 'px' });
        document.body.append(box);
        const lines = [];
        let top = null;
        for (let i = 0; i < c.text.length; i++) {
          const range = document.createRange();
          range.setStart(box.firstChild, i);
          range.setEnd(box.firstChild, i + 1);
          const rect = range.getClientRects()[0];
          if (c.text[i] === '\\n') { lines.push(''); top = null; continue; }
          if (rect && rect.top !== top && top !== null && lines.at(-1).trim()) lines.push('');
          if (lines.length === 0) lines.push('');
          if (rect) top = rect.top;
          lines[lines.length - 1] += c.text[i];
        }
        box.remove();
        return lines.map((line) => line.trimEnd());
      }));
    });`;
  return `<!doctype html><meta charset="utf-8"><style>${faces} div{position:absolute;width:fit-content;white-space:pre-wrap;overflow-wrap:break-word;line-height:1.35}</style><pre id="out"></pre><script>${script}</script>`;
}

it('breaks every line where Chromium breaks it, in every font and size', { timeout: 60_000 }, async () => {
  const items: Lettering[] = [];
  for (const font of Object.keys(FONT_FILES)) {
    for (const size of ['s', 'm', 'xl']) {
      for (const text of TEXTS) {
        const w = 180 + ((items.length * 53) % 240);
        items.push({ id: String(items.length), kind: 'speech', x: 0, y: 0, w, h: 4000, tail: null, text, font, size, align: 'middle', color: 'black' });
      }
    }
  }
  const ours = await Promise.all(items.map((item) => layOutLettering(item)));
  const html = join(folder, 'lettering.html');
  await writeFile(html, page(items.map((item, i) => ({ font: item.font as FontKey, fontSize: ours[i]!.fontSize, width: textBoxOf(item).w, text: item.text }))));
  const { stdout } = await promisify(execFile)(
    CHROMIUM,
    ['--headless', '--no-sandbox', '--disable-gpu', '--allow-file-access-from-files', '--virtual-time-budget=10000', '--dump-dom', pathToFileURL(html).href],
    { timeout: 50_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const json = /<pre id="out">([^<]*)<\/pre>/.exec(stdout)?.[1];
  expect(json, 'Chromium laid nothing out').toBeTruthy();
  const browser = JSON.parse(json!.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>')) as string[][];
  expect(browser).toHaveLength(items.length);
  const differing = items.flatMap((item, i) => {
    const lines = ours[i]!.lines.map((line) => line.text);
    return JSON.stringify(browser[i]) === JSON.stringify(lines) ? [] : [`${item.font} ${item.size} ${item.w}: browser ${JSON.stringify(browser[i])}, ours ${JSON.stringify(lines)}`];
  });
  expect(differing).toEqual([]);
});
