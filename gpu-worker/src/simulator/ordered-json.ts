// Python dicts keep the order their keys were written in; JavaScript objects put integer-like keys ("3", "10")
// first in numeric order. ComfyUI's node ids are such keys, and the order matters (execution_cached lists nodes
// in prompt order, a queued prompt is echoed back as written), so request bodies are parsed here with the key
// order kept beside each object.

const ORDER = Symbol('key order');

type Ordered = Record<string, unknown> & { [ORDER]?: string[] };

/** The keys of an object in the order the JSON text wrote them. */
export function orderedKeys(obj: object): string[] {
  const order = (obj as Ordered)[ORDER];
  if (!order) return Object.keys(obj);
  return order.filter((k) => Object.hasOwn(obj, k));
}

export function orderedEntries(obj: object): Array<[string, unknown]> {
  return orderedKeys(obj).map((k) => [k, (obj as Record<string, unknown>)[k]]);
}

/** A deep copy that keeps key order. */
export function cloneOrdered<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => cloneOrdered(x)) as T;
  if (v && typeof v === 'object') {
    const out: Ordered = {};
    const keys = orderedKeys(v);
    for (const k of keys) out[k] = cloneOrdered((v as Record<string, unknown>)[k]);
    Object.defineProperty(out, ORDER, { value: keys, enumerable: false, writable: true });
    return out as T;
  }
  return v;
}

/** JSON.stringify that writes objects in their recorded key order. */
export function stringifyOrdered(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : stringifyOrdered(x))).join(',')}]`;
  const parts: string[] = [];
  for (const k of orderedKeys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined || typeof x === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${stringifyOrdered(x)}`);
  }
  return `{${parts.join(',')}}`;
}

export class JsonSyntaxError extends SyntaxError {}

/** JSON.parse that remembers each object's key order (see orderedKeys). */
export function parseOrderedJson(text: string): unknown {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at position ${i}`);
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Ordered = {};
      const keys: string[] = [];
      ws();
      if (text[i] === '}') {
        i++;
      } else {
        for (;;) {
          ws();
          if (text[i] !== '"') fail('Expected a property name');
          const key = string();
          ws();
          if (text[i] !== ':') fail("Expected ':'");
          i++;
          const v = value();
          if (!Object.hasOwn(obj, key)) keys.push(key);
          // Python keeps the first position of a repeated key and its last value, as does this.
          Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === '}') {
            i++;
            break;
          }
          fail("Expected ',' or '}'");
        }
      }
      Object.defineProperty(obj, ORDER, { value: keys, enumerable: false, writable: true });
      return obj;
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail("Expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    const m = /^(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) return fail('Unexpected token');
    i += m[0].length;
    return JSON.parse(m[0]) as unknown;
  };
  const string = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail('Unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const out = value();
  ws();
  if (i < text.length) fail('Unexpected data after JSON');
  return out;
}

/** An object that keeps the given key order when written with stringifyOrdered (integer-like keys included). */
export function orderedObject<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  const out: Record<string, V> = {};
  const keys: string[] = [];
  for (const [k, v] of entries) {
    if (!Object.hasOwn(out, k)) keys.push(k);
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  Object.defineProperty(out, ORDER, { value: keys, enumerable: false, writable: true });
  return out;
}

/** Sets a key on an object made by orderedObject or parseOrderedJson, appending it to the order when new. */
export function setOrdered(obj: Record<string, unknown>, key: string, value: unknown): void {
  const order = (obj as Ordered)[ORDER];
  if (order && !Object.hasOwn(obj, key)) order.push(key);
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
