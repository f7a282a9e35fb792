// The files a comic exports to, each written page by page as a stream so that a long comic starts
// downloading at once: a PDF (page art as an image, lettering as real text in tldraw's fonts) and a CBZ
// (lettered page images and a ComicInfo.xml, the ComicRack/Anansi schema v2.0).
import { PassThrough, type Readable } from 'node:stream';
import { Zip, ZipDeflate, ZipPassThrough, strToU8 } from 'fflate';
import PDFDocument from 'pdfkit';
import type { PageSummary } from '@inkwell/db';
import { layOutLettering } from '../lib/lettering.ts';
import { pageArea, pageSize } from './page-render.ts';

export interface ComicFile {
  title: string;
  description: string | null;
  /** Usernames of the people who wrote it, in credit order. */
  writers: string[];
  pages: PageSummary[];
  /** Page images `width` pixels wide, lettered or not. */
  renderPage(page: PageSummary, lettering: boolean): Promise<Buffer>;
  /** The width pages are rendered at. */
  width: number;
}

/** PDF points per canvas unit: a canvas unit is a CSS pixel, 0.75 pt. */
const POINTS_PER_UNIT = 0.75;

/** Runs `produce` after the stream is handed out; a failure ends the stream with that error (the download breaks). */
function streamed<T extends Readable>(stream: T, produce: () => Promise<void>): T {
  setImmediate(() => void produce().catch((err: Error) => stream.destroy(err)));
  return stream;
}

/** One PDF page per comic page: the page drawn without lettering, and the lettering laid over it as text. */
export function comicPdf(comic: ComicFile): Readable {
  const doc = new PDFDocument({ autoFirstPage: false, info: { Title: comic.title, Author: comic.writers.join(', '), Subject: comic.description ?? '' } });
  const registered = new Set<string>();
  return streamed(doc, async () => {
    for (const page of comic.pages) {
      const area = pageArea(page);
      const toX = (x: number) => (x - area.x) * POINTS_PER_UNIT;
      const toY = (y: number) => (y - area.y) * POINTS_PER_UNIT;
      const art = await comic.renderPage(page, false);
      doc.addPage({ size: [area.w * POINTS_PER_UNIT, area.h * POINTS_PER_UNIT], margin: 0 });
      doc.image(art, 0, 0, { width: area.w * POINTS_PER_UNIT, height: area.h * POINTS_PER_UNIT });
      for (const panel of page.panels ?? []) {
        // Like the canvas, a panel clips its bubbles.
        doc.save().rect(toX(panel.x), toY(panel.y), panel.w * POINTS_PER_UNIT, panel.h * POINTS_PER_UNIT).clip();
        for (const item of panel.lettering ?? []) {
          if (!item.text.trim()) continue;
          const text = await layOutLettering(item);
          if (!registered.has(text.font.key)) {
            doc.registerFont(text.font.key, text.font.ttf);
            registered.add(text.font.key);
          }
          doc.font(text.font.key).fontSize(text.fontSize * POINTS_PER_UNIT).fillColor(text.color);
          for (const line of text.lines) {
            doc.text(line.text, toX(line.x), toY(line.baseline), { lineBreak: false, baseline: 'alphabetic' });
          }
        }
        doc.restore();
      }
    }
    doc.end();
  });
}

// eslint-disable-next-line no-control-regex -- characters XML 1.0 cannot hold at all
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const xmlText = (value: string) =>
  value.replace(NOT_XML, '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/**
 * ComicInfo.xml (schema v2.0), its elements in the schema's order. A comic here is a series of one; no
 * setting says it reads right to left (Manga) or for which ages yet.
 */
export function comicInfoXml(comic: Pick<ComicFile, 'title' | 'description' | 'writers' | 'pages' | 'width'>): string {
  const element = (name: string, value: string | number) => `  <${name}>${xmlText(String(value))}</${name}>`;
  const pages = comic.pages.map((page, index) => {
    const { width, height } = pageSize(page, comic.width);
    const type = index === 0 ? ' Type="FrontCover"' : '';
    return `    <Page Image="${index}"${type} ImageWidth="${width}" ImageHeight="${height}" />`;
  });
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<ComicInfo xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">',
    element('Title', comic.title),
    element('Series', comic.title),
    ...(comic.description ? [element('Summary', comic.description)] : []),
    ...(comic.writers.length > 0 ? [element('Writer', comic.writers.join(', '))] : []),
    element('PageCount', comic.pages.length),
    element('Manga', 'No'),
    element('AgeRating', 'Unknown'),
    '  <Pages>',
    ...pages,
    '  </Pages>',
    '</ComicInfo>',
    '',
  ].join('\n');
}

/** A CBZ: ComicInfo.xml, then one lettered PNG per page, named so that they sort in reading order. */
export function comicCbz(comic: ComicFile): Readable {
  const out = new PassThrough();
  const zip = new Zip((err, chunk, final) => {
    if (err) return void out.destroy(err);
    out.write(chunk);
    if (final) out.end();
  });
  const digits = Math.max(3, String(comic.pages.length).length);
  return streamed(out, async () => {
    const info = new ZipDeflate('ComicInfo.xml', { level: 9 });
    zip.add(info);
    info.push(strToU8(comicInfoXml(comic)), true);
    for (const [index, page] of comic.pages.entries()) {
      const image = await comic.renderPage(page, true);
      // PNG is compressed already: stored as is.
      const entry = new ZipPassThrough(`${String(index + 1).padStart(digits, '0')}.png`);
      zip.add(entry);
      entry.push(image, true);
    }
    zip.end();
  });
}
