// What anyone may write into a comic's document: records valid for the comic schema, and a schema this
// code can read. tldraw's validators refuse unknown shape types and `javascript:` URLs; our own rule is
// stricter for pictures and links (no `asset:` or `data:text/html` sources, only http(s) and mailto links),
// and also covers the links inside rich text, which tldraw's validator does not look into.
import type { SerializedSchema } from '@tldraw/store';
import type { TLRecord } from '@tldraw/tlschema';
import { comicSchema, isCurrentSchema } from './schema.ts';
import { COMIC_LETTERING_KEY, isLetteringFont } from './shapes.ts';

export class InvalidRecordError extends Error {}

/** Same-origin paths (our media), http(s), and inline pictures. */
const SOURCE = /^(https?:\/\/|\/(?!\/)|data:image\/)/i;
const LINK = /^(https?:\/\/|mailto:)/i;
/** Props that hold a URL, and the rule each follows. */
const URL_PROPS: Record<string, RegExp> = { src: SOURCE, image: SOURCE, favicon: SOURCE, url: LINK };

function checkUrl(record: TLRecord, where: string, value: unknown, rule: RegExp): void {
  if (typeof value === 'string' && value !== '' && !rule.test(value)) {
    throw new InvalidRecordError(`${record.id}: ${where} is not an address we allow (${JSON.stringify(value.slice(0, 60))})`);
  }
}

/** The `href` of every link mark in a rich text document (TipTap JSON). */
function linksIn(node: unknown, found: unknown[] = []): unknown[] {
  if (typeof node !== 'object' || node === null) return found;
  const { marks, content } = node as { marks?: unknown; content?: unknown };
  if (Array.isArray(marks)) for (const mark of marks) found.push((mark as { attrs?: { href?: unknown } } | null)?.attrs?.href);
  if (Array.isArray(content)) for (const child of content) linksIn(child, found);
  return found;
}

function checkUrls(record: TLRecord): void {
  const props = (record as { props?: unknown }).props;
  if (typeof props !== 'object' || props === null) return;
  for (const [name, value] of Object.entries(props)) {
    const rule = URL_PROPS[name];
    if (rule) checkUrl(record, `props.${name}`, value, rule);
  }
  for (const href of linksIn((props as { richText?: unknown }).richText)) checkUrl(record, 'a link in its text', href, LINK);
}

/** Whether records written with `schema` can be read by this code (the same schema, or an older one). */
export function isReadableSchema(schema: unknown): schema is SerializedSchema {
  if (typeof schema !== 'object' || schema === null) return false;
  try {
    return comicSchema().migrateStoreSnapshot({ store: {}, schema: schema as SerializedSchema }).type === 'success';
  } catch {
    return false;
  }
}

/**
 * Throws an InvalidRecordError unless `value` is a valid record stored under `key`, as written with
 * `written` (the document's schema; the current one when absent). Only document records belong in a
 * document: presence, cameras and the like are session data.
 */
export function checkRecord(key: string, value: unknown, written: SerializedSchema | undefined): void {
  const record = value as Partial<TLRecord> | null;
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new InvalidRecordError(`${key}: not a record`);
  if (record.id !== key) throw new InvalidRecordError(`${key}: stored under another id than its own`);
  const schema = comicSchema();
  const type = typeof record.typeName === 'string' && Object.hasOwn(schema.types, record.typeName) ? schema.types[record.typeName] : undefined;
  if (!type || type.scope !== 'document') throw new InvalidRecordError(`${key}: not a kind of record a comic holds (${String(record.typeName)})`);
  let current = record as TLRecord;
  if (written && !isCurrentSchema(written)) {
    const migrated = schema.migratePersistedRecord(current, written, 'up');
    if (migrated.type === 'error') throw new InvalidRecordError(`${key}: cannot be read (${migrated.reason})`);
    current = migrated.value;
  }
  try {
    type.validate(current);
  } catch (error) {
    throw new InvalidRecordError(`${key}: ${error instanceof Error ? error.message : String(error)}`);
  }
  checkUrls(current);
  checkComicSettings(current);
}

/** The comic's own settings in its document record's meta (tldraw lets meta hold any JSON). */
function checkComicSettings(record: TLRecord): void {
  if (record.typeName !== 'document') return;
  const font = record.meta[COMIC_LETTERING_KEY];
  if (font !== undefined && !isLetteringFont(font)) {
    throw new InvalidRecordError(`${record.id}: meta.${COMIC_LETTERING_KEY} is not a lettering font we have (${JSON.stringify(font).slice(0, 40)})`);
  }
}
