// A client's document update, checked before Hocuspocus applies it: decoded (never applied), each value it
// writes located in the document, and checked against the model. A Y.Map entry names its map and key only
// when it has no neighbour; an overwrite names the entry it replaces (its origin) instead, which is found
// in the update itself or in the document.
import type { SerializedSchema } from '@tldraw/store';
import * as Y from 'yjs';
import { z } from 'zod';
import { InvalidRecordError, checkRecord, isReadableSchema } from './model/validation.ts';
import { JOBS_MAP, LETTERED_MAP, META_MAP, RECORDS_MAP, SCHEMA_KEY, metaOf } from './model/index.ts';
import { RESTORES_MAP } from './model/restore.ts';

/**
 * Where an item of the update goes: a key of a root map; `gone` when it builds on garbage-collected
 * content (Yjs discards it); `elsewhere` inside a nested type or a list; `unknown` when it builds on
 * content this server does not have.
 */
type Place = { root: string; key: string } | 'gone' | 'elsewhere' | 'unknown';

const insertedJob = z.object({ panelId: z.string(), mediaId: z.string(), shapeId: z.string() });
const letteredPanel = z.object({ panelId: z.string(), shapeIds: z.array(z.string()) });

/** Throws an InvalidRecordError naming the first thing in `update` that the comic document must not hold. */
export function checkUpdate(doc: Y.Doc, update: Uint8Array): void {
  const items = Y.decodeUpdate(update).structs.filter((struct): struct is Y.Item => struct instanceof Y.Item);
  const locate = locator(doc, items);
  const records: Array<[string, unknown]> = [];
  let written = metaOf(doc).get(SCHEMA_KEY) as SerializedSchema | undefined;
  for (const item of items) {
    if (item.content instanceof Y.ContentDeleted) continue;
    const place = locate(item);
    if (place === 'gone') continue;
    if (place === 'unknown') throw new InvalidRecordError('the change builds on changes this server does not have');
    if (place === 'elsewhere' || !(item.content instanceof Y.ContentAny) || item.content.arr.length !== 1) {
      throw new InvalidRecordError('the comic document holds plain values in its maps only');
    }
    const value: unknown = item.content.arr[0];
    if (place.root === RECORDS_MAP) records.push([place.key, value]);
    else if (place.root === META_MAP && place.key === SCHEMA_KEY && isReadableSchema(value)) written = value;
    else if (place.root === LETTERED_MAP && letteredPanel.safeParse(value).success) continue;
    // A restore noted by the server (model/restore.ts), sent back by a client that saw it.
    else if (place.root === RESTORES_MAP && typeof value === 'number') continue;
    else if (place.root !== JOBS_MAP || !insertedJob.safeParse(value).success) {
      throw new InvalidRecordError(`${place.root}.${place.key}: not something a comic document holds`);
    }
  }
  for (const [key, value] of records) checkRecord(key, value, written);
}

/** Finds each item's place, following origins through the update and then the document. */
function locator(doc: Y.Doc, items: Y.Item[]): (item: Y.Item) => Place {
  const byClient = new Map<number, Y.Item[]>();
  for (const item of items) {
    const list = byClient.get(item.id.client) ?? [];
    list.push(item);
    byClient.set(item.id.client, list);
  }
  for (const list of byClient.values()) list.sort((a, b) => a.id.clock - b.id.clock);
  const rootNames = new Map<unknown, string>([...doc.share].map(([name, type]) => [type, name]));
  const places = new Map<Y.Item, Place>();

  function inUpdate(id: Y.ID): Y.Item | undefined {
    const list = byClient.get(id.client) ?? [];
    let [low, high] = [0, list.length - 1];
    while (low <= high) {
      const middle = (low + high) >> 1;
      const item = list[middle]!;
      if (id.clock < item.id.clock) high = middle - 1;
      else if (id.clock >= item.id.clock + item.length) low = middle + 1;
      else return item;
    }
    return undefined;
  }

  function inDocument(id: Y.ID): Place {
    if (Y.getState(doc.store, id.client) <= id.clock) return 'unknown';
    const struct = Y.getItem(doc.store, id);
    if (!(struct instanceof Y.Item)) return 'gone';
    const root = rootNames.get(struct.parent);
    return root !== undefined && typeof struct.parentSub === 'string' ? { root, key: struct.parentSub } : 'elsewhere';
  }

  /** The item's own parent information, or the id its place follows from. */
  function direct(item: Y.Item): Place | Y.ID {
    // Decoded, `parent` is a root type's name, the id of a nested type, or null (then an origin says).
    const parent: unknown = item.parent;
    if (typeof parent === 'string') return item.parentSub === null ? 'elsewhere' : { root: parent, key: item.parentSub };
    if (parent !== null) return 'elsewhere';
    return item.origin ?? item.rightOrigin ?? 'unknown';
  }

  // Iterative: an offline client's update may overwrite one key thousands of times, each on the last.
  return (start) => {
    const chain = new Set<Y.Item>();
    let item = start;
    let place: Place | undefined = places.get(item);
    while (place === undefined) {
      chain.add(item);
      const next = direct(item);
      if (!(next instanceof Y.ID)) place = next;
      else {
        const found = inUpdate(next);
        if (found === undefined) place = inDocument(next);
        else if (chain.has(found)) place = 'unknown';
        else place = places.get((item = found));
      }
    }
    for (const visited of chain) places.set(visited, place);
    return place;
  };
}
