// The simulated server's folders (input, output, temp), kept in memory: uploads land in input, saved pictures
// in output, previews in temp. Addressed as ComfyUI addresses them: type, subfolder, filename.
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { PyException } from './pyfmt.ts';

export type FolderType = 'input' | 'output' | 'temp';

export interface StoredFile {
  bytes: Buffer;
  contentType: string;
  sha256: string;
  createdAt: number;
  /** Pixel size, for images (used to size the outputs of graphs that start from an uploaded picture). */
  width?: number;
  height?: number;
}

const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.webm': 'video/webm',
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.mkv': 'video/x-matroska',
  '.flac': 'audio/flac',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.json': 'application/json',
  '.txt': 'text/plain',
};

export function contentTypeOf(filename: string): string {
  return TYPES[extname(filename).toLowerCase()] ?? 'application/octet-stream';
}

export function mediaKindOf(filename: string): 'image' | 'video' | 'audio' | 'other' {
  const t = contentTypeOf(filename);
  if (t.startsWith('image/')) return 'image';
  if (t.startsWith('video/')) return 'video';
  if (t.startsWith('audio/')) return 'audio';
  return 'other';
}

/** Splits ComfyUI's annotated names: `photo.png [output]` → output folder. */
export function annotatedPath(value: string): { name: string; type: FolderType | undefined } {
  for (const type of ['input', 'output', 'temp'] as const) {
    const suffix = ` [${type}]`;
    if (value.endsWith(suffix)) return { name: value.slice(0, -suffix.length), type };
  }
  return { name: value, type: undefined };
}

/** A relative path inside a folder, or undefined when it would leave it (`..`, absolute paths). */
export function safeRelative(path: string): string | undefined {
  const parts: string[] = [];
  for (const part of path.replaceAll('\\', '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  if (path.startsWith('/')) return undefined;
  return parts.join('/');
}

export class FileStore {
  private readonly files = new Map<string, StoredFile>();
  private readonly counters = new Map<string, number>();
  private readonly maxGenerated: number;
  private generated: string[] = [];

  constructor(options: { maxGeneratedFiles?: number } = {}) {
    this.maxGenerated = options.maxGeneratedFiles ?? 5000;
  }

  private key(type: FolderType, subfolder: string, name: string): string {
    return `${type}\u0000${subfolder}\u0000${name}`;
  }

  put(type: FolderType, subfolder: string, name: string, bytes: Buffer, size?: { width: number; height: number }): StoredFile {
    const file: StoredFile = {
      bytes,
      contentType: contentTypeOf(name),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      createdAt: Date.now(),
      ...(size ?? {}),
    };
    const key = this.key(type, subfolder, name);
    const isNew = !this.files.has(key);
    this.files.set(key, file);
    if (type !== 'input' && isNew) {
      this.generated.push(key);
      // Outputs are kept in memory: forget the oldest beyond the limit.
      while (this.generated.length > this.maxGenerated) this.files.delete(this.generated.shift() as string);
    }
    return file;
  }

  get(type: FolderType, subfolder: string, name: string): StoredFile | undefined {
    return this.files.get(this.key(type, subfolder, name));
  }

  /** Files directly in a folder (not in its subfolders), sorted, as ComfyUI lists its input folder. */
  list(type: FolderType, subfolder = ''): string[] {
    const prefix = `${type}\u0000${subfolder}\u0000`;
    const out: string[] = [];
    for (const key of this.files.keys()) if (key.startsWith(prefix)) out.push(key.slice(prefix.length));
    return out.sort();
  }

  /** Resolves a LoadImage-style value (`name`, `sub/name`, `name [output]`) to a stored file. */
  resolveAnnotated(value: string, defaultType: FolderType = 'input'): StoredFile | undefined {
    const { name, type } = annotatedPath(value);
    const rel = safeRelative(name);
    if (!rel) return undefined;
    const slash = rel.lastIndexOf('/');
    return this.get(type ?? defaultType, slash < 0 ? '' : rel.slice(0, slash), slash < 0 ? rel : rel.slice(slash + 1));
  }

  /** The next free counter for `prefix` in a folder, as ComfyUI's get_save_image_path finds it. */
  nextCounter(type: FolderType, subfolder: string, prefix: string, count = 1): number {
    const key = this.key(type, subfolder, prefix);
    const next = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, next + count - 1);
    return next;
  }

  /** Everything but the input folder goes (a restarted server keeps its files on disk; this is for tests). */
  clear(): void {
    this.files.clear();
    this.counters.clear();
    this.generated = [];
  }
}

/** ComfyUI's get_save_image_path: `%width%`-style variables, a subfolder from the prefix, never outside. */
export function savePath(filenamePrefix: string, width: number, height: number): { subfolder: string; base: string } {
  const now = new Date();
  const vars: Record<string, string> = {
    '%width%': String(width),
    '%height%': String(height),
    '%year%': String(now.getFullYear()),
    '%month%': String(now.getMonth() + 1).padStart(2, '0'),
    '%day%': String(now.getDate()).padStart(2, '0'),
    '%hour%': String(now.getHours()).padStart(2, '0'),
    '%minute%': String(now.getMinutes()).padStart(2, '0'),
    '%second%': String(now.getSeconds()).padStart(2, '0'),
  };
  let prefix = filenamePrefix;
  for (const [k, v] of Object.entries(vars)) prefix = prefix.replaceAll(k, v);
  const rel = safeRelative(prefix);
  if (rel === undefined || rel === '') {
    throw new PyException('Exception', `**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: ${prefix}\n         output_dir: output`);
  }
  const slash = rel.lastIndexOf('/');
  return { subfolder: slash < 0 ? '' : rel.slice(0, slash), base: slash < 0 ? rel : rel.slice(slash + 1) };
}
