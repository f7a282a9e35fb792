// The simulator's pictures: a flat colour derived from the seed and the prompt, diagonal stripes, and a
// "SIMULATED" label drawn with shapes, at the size the graph asked for. Also the latent previews sent while
// sampling, and animated outputs (WebP, APNG, GIF, and WebM made of VP8 frames).
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { textCells, textPath } from './label.ts';

export interface PictureSpec {
  width: number;
  height: number;
  /** What makes the colour: the seed and the prompt text of the graph. */
  seed: string;
  text: string;
}

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

/** Colours come in 24 hues × 2 shades, so that a burst of jobs reuses the few pictures it draws. */
const HUES = 24;

/** A colour that is stable for one seed and prompt and differs between neighbouring seeds. */
export function colourFor(seed: string, text: string): Rgb {
  const h = createHash('sha1').update(`${seed}\u0000${text}`).digest();
  const hue = ((h[0] as number) % HUES) * (360 / HUES);
  const light = 0.42 + ((h[1] as number) % 2) * 0.12;
  return hslToRgb(hue, 0.62, light);
}

function hslToRgb(h: number, s: number, l: number): Rgb {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return { r: Math.round((r + m) * 255), g: Math.round((g + m) * 255), b: Math.round((b + m) * 255) };
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return { r: Math.round(a.r + (b.r - a.r) * t), g: Math.round(a.g + (b.g - a.g) * t), b: Math.round(a.b + (b.b - a.b) * t) };
}

/** Keeps the last few results of an expensive function of a key. */
class Lru<V> {
  private readonly max: number;
  private readonly map = new Map<string, V>();
  constructor(max: number) {
    this.max = max;
  }
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

const overlays = new Lru<Promise<Buffer>>(24);
const pngs = new Lru<Promise<Buffer>>(96);
const previews = new Lru<Promise<Buffer>>(96);

/** Stripes and the label as an RGBA layer of the given size (cached: it only depends on the size). */
function overlay(width: number, height: number, caption: string): Promise<Buffer> {
  const key = `${width}x${height}:${caption}`;
  let layer = overlays.get(key);
  if (!layer) {
    layer = renderOverlay(width, height, caption);
    overlays.set(key, layer);
    layer.catch(() => overlays.set(key, renderOverlay(width, height, caption)));
  }
  return layer;
}

async function renderOverlay(width: number, height: number, caption: string): Promise<Buffer> {
  const title = 'SIMULATED';
  // The title spans about 60% of the width; the caption below it is half as tall.
  const scale = Math.max(1, Math.floor((Math.min(width, height * 1.6) * 0.6) / textCells(title)));
  const small = Math.max(1, Math.floor(scale / 2));
  const titleW = textCells(title) * scale;
  const captionW = textCells(caption) * small;
  const boxW = Math.min(width, Math.max(titleW, captionW) + scale * 4);
  const boxH = Math.min(height, 7 * scale + 7 * small + scale * 5);
  const bx = Math.round((width - boxW) / 2);
  const by = Math.round((height - boxH) / 2);
  const tx = Math.round((width - titleW) / 2);
  const ty = by + scale * 2;
  const cx = Math.round((width - captionW) / 2);
  const cy = ty + 7 * scale + scale;
  const band = Math.max(8, Math.round(Math.min(width, height) / 16));
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<defs><pattern id="s" width="${band * 2}" height="${band * 2}" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
    `<rect width="${band}" height="${band * 2}" fill="#ffffff" fill-opacity="0.16"/></pattern></defs>` +
    `<rect width="${width}" height="${height}" fill="url(#s)"/>` +
    `<rect x="${bx}" y="${by}" width="${boxW}" height="${boxH}" fill="#000000" fill-opacity="0.55"/>` +
    `<path d="${textPath(title, tx, ty, scale)}" fill="#ffffff"/>` +
    `<path d="${textPath(caption, cx, cy, small)}" fill="#ffffff" fill-opacity="0.85"/>` +
    `</svg>`;
  return sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer();
}

function caption(spec: { width: number; height: number }): string {
  return `COMFYUI SIMULATOR ${spec.width}X${spec.height}`;
}

/**
 * The picture on its colour, optionally with a bar across it that moves with `phase` (0..1), as one sharp
 * pipeline to be encoded by the caller (the bar is composited after the flatten).
 */
async function frame(spec: PictureSpec, colour: Rgb, phase?: number): Promise<Sharp> {
  const layer = await overlay(spec.width, spec.height, caption(spec));
  const img = sharp(layer, { raw: { width: spec.width, height: spec.height, channels: 4 } }).flatten({ background: colour });
  if (phase === undefined) return img;
  const barW = Math.max(2, Math.round(spec.width / 24));
  const left = Math.min(spec.width - barW, Math.round(phase * (spec.width - barW)));
  const bar = { create: { width: barW, height: spec.height, channels: 4 as const, background: { r: 255, g: 255, b: 255, alpha: 0.7 } } };
  return sharp(await img.raw().toBuffer(), { raw: { width: spec.width, height: spec.height, channels: 3 } }).composite([{ input: bar, left, top: 0 }]);
}

/** The picture as raw RGB pixels (see frame). */
async function frameRaw(spec: PictureSpec, colour: Rgb, phase?: number): Promise<Buffer> {
  return (await frame(spec, colour, phase)).removeAlpha().raw().toBuffer();
}

/**
 * The placeholder picture as a PNG, with the prompt in a `prompt` text chunk as ComfyUI's SaveImage writes it.
 * Pixels are cached per size and colour, so a burst of jobs costs little.
 */
export async function placeholderPng(spec: PictureSpec, textChunks: Record<string, string> = {}): Promise<Buffer> {
  const colour = colourFor(spec.seed, spec.text);
  const key = `${spec.width}x${spec.height}:${colour.r},${colour.g},${colour.b}`;
  let png = pngs.get(key);
  if (!png) {
    png = frame(spec, colour).then((img) => img.png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer());
    pngs.set(key, png);
  }
  return withPngText(await png, { ...textChunks, Software: 'Inkwell ComfyUI simulator (simulated image)' });
}

/** A latent preview as ComfyUI sends it while sampling: a JPEG (JFIF) at most 512 pixels wide. */
export function previewJpeg(spec: PictureSpec, step: number, steps: number): Promise<Buffer> {
  const k = Math.min(1, 512 / Math.max(spec.width, spec.height));
  const small: PictureSpec = { ...spec, width: Math.max(8, Math.round(spec.width * k)), height: Math.max(8, Math.round(spec.height * k)) };
  const phase = steps > 0 ? step / steps : 1;
  const colour = mix({ r: 128, g: 128, b: 128 }, colourFor(spec.seed, spec.text), phase);
  // Cached like the pictures: a preview depends only on its size, colour and phase.
  const key = `${small.width}x${small.height}:${colour.r},${colour.g},${colour.b}:${phase}`;
  let jpeg = previews.get(key);
  if (!jpeg) {
    jpeg = frame(small, colour, phase).then(async (img) => withJfif(await img.removeAlpha().jpeg({ quality: 80 }).toBuffer()));
    previews.set(key, jpeg);
  }
  return jpeg;
}

export type AnimatedFormat = 'webp' | 'png' | 'gif' | 'webm';

/** An animated placeholder: `frames` pictures with a bar sweeping across, `fps` frames a second. */
export async function animatedPlaceholder(spec: PictureSpec, frames: number, fps: number, format: AnimatedFormat, textChunks: Record<string, string> = {}): Promise<Buffer> {
  const colour = colourFor(spec.seed, spec.text);
  const count = Math.max(1, frames);
  const raws = await Promise.all(Array.from({ length: count }, (_, i) => frameRaw(spec, colour, count > 1 ? i / (count - 1) : 0)));
  const delay = Math.max(1, Math.round(1000 / Math.max(0.01, fps)));
  if (format === 'webm') return webmFromFrames(raws, spec.width, spec.height, delay);
  if (format === 'png') return apngFromFrames(raws, spec.width, spec.height, delay, textChunks);
  const joined = sharp(Buffer.concat(raws), { raw: { width: spec.width, height: spec.height * count, channels: 3, pageHeight: spec.height } });
  const delays = Array.from({ length: count }, () => delay);
  if (format === 'gif') return joined.gif({ delay: delays, loop: 0 }).toBuffer();
  return joined.webp({ delay: delays, loop: 0, quality: 80 }).toBuffer();
}

// --- PNG chunks -------------------------------------------------------------------------------------------

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

function pngChunks(png: Buffer): Array<{ type: string; data: Buffer }> {
  const out: Array<{ type: string; data: Buffer }> = [];
  let i = 8;
  while (i + 8 <= png.length) {
    const len = png.readUInt32BE(i);
    const type = png.toString('latin1', i + 4, i + 8);
    out.push({ type, data: png.subarray(i + 8, i + 8 + len) });
    i += 12 + len;
  }
  return out;
}

/** Adds tEXt chunks after IHDR (values must be Latin-1; ComfyUI writes ASCII JSON). */
export function withPngText(png: Buffer, texts: Record<string, string>): Buffer {
  const entries = Object.entries(texts);
  if (entries.length === 0) return png;
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  const extra = entries.map(([k, v]) => chunk('tEXt', Buffer.concat([Buffer.from(k, 'latin1'), Buffer.from([0]), Buffer.from(v, 'latin1')])));
  return Buffer.concat([png.subarray(0, ihdrEnd), ...extra, png.subarray(ihdrEnd)]);
}

/** The text chunks of a PNG (for tests and for reading back what the simulator wrote). */
export function readPngText(png: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of pngChunks(png)) {
    if (c.type !== 'tEXt') continue;
    const nul = c.data.indexOf(0);
    out[c.data.toString('latin1', 0, nul)] = c.data.toString('latin1', nul + 1);
  }
  return out;
}

async function apngFromFrames(raws: Buffer[], width: number, height: number, delayMs: number, textChunks: Record<string, string>): Promise<Buffer> {
  const encoded = await Promise.all(raws.map((raw) => sharp(raw, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 3, adaptiveFiltering: false }).toBuffer()));
  const first = pngChunks(encoded[0] as Buffer);
  const ihdr = first.find((c) => c.type === 'IHDR') as { data: Buffer };
  const parts: Buffer[] = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr.data)];
  const actl = Buffer.alloc(8);
  actl.writeUInt32BE(encoded.length, 0);
  actl.writeUInt32BE(0, 4);
  parts.push(chunk('acTL', actl));
  for (const [k, v] of Object.entries(textChunks)) parts.push(chunk('tEXt', Buffer.concat([Buffer.from(k, 'latin1'), Buffer.from([0]), Buffer.from(v, 'latin1')])));
  let seq = 0;
  encoded.forEach((png, index) => {
    const fctl = Buffer.alloc(26);
    fctl.writeUInt32BE(seq++, 0);
    fctl.writeUInt32BE(width, 4);
    fctl.writeUInt32BE(height, 8);
    fctl.writeUInt32BE(0, 12);
    fctl.writeUInt32BE(0, 16);
    fctl.writeUInt16BE(Math.min(65535, delayMs), 20);
    fctl.writeUInt16BE(1000, 22);
    fctl.writeUInt8(0, 24);
    fctl.writeUInt8(0, 25);
    parts.push(chunk('fcTL', fctl));
    for (const c of pngChunks(png).filter((x) => x.type === 'IDAT')) {
      if (index === 0) {
        parts.push(chunk('IDAT', c.data));
      } else {
        const n = Buffer.alloc(4);
        n.writeUInt32BE(seq++, 0);
        parts.push(chunk('fdAT', Buffer.concat([n, c.data])));
      }
    }
  });
  parts.push(chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

// --- JPEG -------------------------------------------------------------------------------------------------

const JFIF_APP0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);

/** PIL writes JPEGs with a JFIF APP0 segment right after SOI (`ffd8ffe0`); libvips' mozjpeg leaves it out. */
function withJfif(jpeg: Buffer): Buffer {
  if (jpeg[2] === 0xff && jpeg[3] === 0xe0) return jpeg;
  return Buffer.concat([jpeg.subarray(0, 2), JFIF_APP0, jpeg.subarray(2)]);
}

// --- WebM (Matroska with VP8 key frames) ------------------------------------------------------------------

function vint(n: number): Buffer {
  for (let len = 1; len <= 8; len++) {
    if (n < 2 ** (7 * len) - 1) {
      const b = Buffer.alloc(len);
      let v = n;
      for (let i = len - 1; i >= 0; i--) {
        b[i] = v & 0xff;
        v = Math.floor(v / 256);
      }
      b[0] = (b[0] as number) | (1 << (8 - len));
      return b;
    }
  }
  throw new RangeError('EBML size too large');
}

function ebml(id: number, payload: Buffer | Buffer[]): Buffer {
  const body = Array.isArray(payload) ? Buffer.concat(payload) : payload;
  const idBytes = Buffer.from(id.toString(16).padStart(id > 0xffffff ? 8 : id > 0xffff ? 6 : id > 0xff ? 4 : 2, '0'), 'hex');
  return Buffer.concat([idBytes, vint(body.length), body]);
}

function uint(id: number, v: number): Buffer {
  const bytes: number[] = [];
  let x = v;
  do {
    bytes.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (x > 0);
  return ebml(id, Buffer.from(bytes));
}

function str(id: number, s: string): Buffer {
  return ebml(id, Buffer.from(s, 'utf8'));
}

function float64(id: number, v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v, 0);
  return ebml(id, b);
}

/** The VP8 key frame inside a simple-format lossy WebP (RIFF "WEBP" with one "VP8 " chunk). */
function vp8Payload(webp: Buffer): Buffer {
  let i = 12;
  while (i + 8 <= webp.length) {
    const type = webp.toString('latin1', i, i + 4);
    const len = webp.readUInt32LE(i + 4);
    if (type === 'VP8 ') return webp.subarray(i + 8, i + 8 + len);
    i += 8 + len + (len % 2);
  }
  throw new Error('no VP8 frame in the WebP');
}

async function webmFromFrames(raws: Buffer[], width: number, height: number, frameMs: number): Promise<Buffer> {
  const frames = await Promise.all(raws.map(async (raw) => vp8Payload(await sharp(raw, { raw: { width, height, channels: 3 } }).webp({ quality: 70 }).toBuffer())));
  const header = ebml(0x1a45dfa3, [uint(0x4286, 1), uint(0x42f7, 1), uint(0x42f2, 4), uint(0x42f3, 8), str(0x4282, 'webm'), uint(0x4287, 2), uint(0x4285, 2)]);
  const info = ebml(0x1549a966, [uint(0x2ad7b1, 1_000_000), str(0x4d80, 'inkwell-comfyui-simulator'), str(0x5741, 'inkwell-comfyui-simulator'), float64(0x4489, frames.length * frameMs)]);
  const video = ebml(0xe0, [uint(0xb0, width), uint(0xba, height)]);
  const tracks = ebml(0x1654ae6b, [ebml(0xae, [uint(0xd7, 1), uint(0x73c5, 1), uint(0x83, 1), uint(0x9c, 0), str(0x86, 'V_VP8'), video])]);
  const clusters: Buffer[] = [];
  // Block timestamps are 16-bit offsets from their cluster's: start a cluster every 30 seconds.
  const perCluster = Math.max(1, Math.floor(30_000 / frameMs));
  for (let start = 0; start < frames.length; start += perCluster) {
    const blocks = frames.slice(start, start + perCluster).map((frame, k) => {
      const head = Buffer.alloc(4);
      head[0] = 0x81; // track 1
      head.writeInt16BE(k * frameMs, 1);
      head[3] = 0x80; // key frame
      return ebml(0xa3, [head, frame]);
    });
    clusters.push(ebml(0x1f43b675, [uint(0xe7, start * frameMs), ...blocks]));
  }
  return Buffer.concat([header, ebml(0x18538067, [info, tracks, ...clusters])]);
}
