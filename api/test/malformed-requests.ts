/**
 * Malformed requests for one API operation, generated from its OpenAPI description: every kind of bad input
 * an attacker sends (NUL bytes and lone surrogates, wrong types, huge strings, missing and extra fields,
 * invalid JSON, wrong content types, broken multipart, invalid X-Forwarded-For, broken session cookies), each applied to an otherwise
 * valid request. Which values of a kind are tried comes from a seeded generator, so a run can be repeated.
 */
import { type Hints, type JsonSchema, type Operation, sampleObject, sampleOf, urlOf } from './openapi.ts';

export interface MalformedRequest {
  kind: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** The values that make the operation's request valid: path parameters by name, and hints for fields. */
export interface ValidInput {
  pathParams: Record<string, string>;
  hints: Hints;
}

export type Random = () => number;

/** mulberry32: a small seeded generator, enough to pick test values reproducibly. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `n` values of the pool, in a seeded order. */
function pick<T>(pool: readonly T[], n: number, random: Random): T[] {
  const copy = [...pool];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

// Percent-encoded, as they arrive in an address. NUL and a lone surrogate (an invalid UTF-8 sequence) are always tried.
const UNSTORABLE_IN_URL = ['%00', '%ED%A0%80'];
const BAD_PATH = ['a%00b', '%zz', '%', 'x'.repeat(300), 'not-a-uuid', '..', '%2e%2e', '-1', '00000000-0000-0000-0000-000000000000', '%C0%AF', 'null', '%F0%9F%98%80'];
const BAD_QUERY = ['a%00b', '%zz', '%', 'x'.repeat(5000), '-1', '0', '1e309', 'NaN', '', '%ED%B0%80x', 'true'];
const UNSTORABLE_TEXT = ['a\u0000b', 'a\ud800b', '\udfff', 'ok\u0000'];
const WRONG_TYPES: unknown[] = [123, -1, 1.5, 1e308, true, false, null, [], {}, ['a'], { a: { b: {} } }, '', ' '];
const BAD_FORWARDED_FOR = ['not-an-ip', '999.1.1.1', '1.2.3.4:80', 'fe80::1%eth0', '::ffff:zz', 'x'.repeat(2000), 'unknown', '%00', '1.2.3.4.5', 'localhost'];
const BAD_JSON = ['{', '{"a":}', "{'a':1}", '{"a":1,}', '[', 'undefined', '{"a":"\\x00"}', '\u0000', '{"a":"\\ud800"'];
const NOT_OBJECTS = ['[]', 'null', '"text"', '1', 'true'];
const BAD_COOKIES = ['%00', 'a%00b.c', 'a.b%ED%A0%80', 'x'.repeat(4000), '..', '"unterminated', 'a.b; inkwell_session=c.d', '\u00ff.\u00fe'];
const OTHER_CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/json-patch+json', 'image/png'];

/** Bodies that claim to be multipart but are not what an upload expects. */
function malformedMultipart(): { contentType: string; body: string }[] {
  const part = (headers: string, content: string) => `--B\r\n${headers}\r\n\r\n${content}\r\n`;
  const file = (name: string, filename: string) => `Content-Disposition: form-data; name="${name}"; filename="${filename}"`;
  return [
    { contentType: 'multipart/form-data', body: 'no boundary' },
    { contentType: 'multipart/form-data; boundary=B', body: 'not a part' },
    { contentType: 'multipart/form-data; boundary=B', body: `--B\r\n${file('file', 'a.png')}\r\n\r\ntruncated` },
    { contentType: 'multipart/form-data; boundary=B', body: `--B\r\nbroken header\r\n\r\nx\r\n--B--\r\n` },
    { contentType: 'multipart/form-data; boundary=B', body: `${part(file('other', 'a.png'), 'x')}--B--\r\n` },
    { contentType: 'multipart/form-data; boundary=B', body: `${part(file('file', 'a\u0000.png'), 'x')}--B--\r\n` },
    { contentType: 'multipart/form-data; boundary=B', body: `${part(file('file', 'a.png'), 'x')}${part(file('file', 'b.png'), 'y')}--B--\r\n` },
    { contentType: 'multipart/form-data; boundary=B', body: `${part('Content-Disposition: form-data; name="field"', 'v')}--B--\r\n` },
    { contentType: 'multipart/form-data; boundary=', body: '' },
  ];
}

/** A JSON array nested deeper than any parser or walker should recurse, inside a small body. */
const deeplyNested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

export function malformedRequests(op: Operation, valid: ValidInput, random: Random): MalformedRequest[] {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const validQuery = new URLSearchParams(
    queryParams.filter((p) => p.required).map((p) => [p.name, String(sampleOf(p.schema, p.name, valid.hints))]),
  ).toString();
  const validBody = op.body ? sampleObject(op.body, valid.hints) : undefined;
  const json = { 'content-type': 'application/json' };
  const base = (kind: string, overrides: Partial<MalformedRequest> = {}): MalformedRequest => ({
    kind,
    method: op.method,
    url: urlOf(op, valid.pathParams, validQuery),
    headers: validBody ? json : {},
    ...(validBody && { payload: JSON.stringify(validBody) }),
    ...overrides,
  });
  const requests: MalformedRequest[] = [];

  for (const param of pathParams) {
    for (const value of [...UNSTORABLE_IN_URL, ...pick(BAD_PATH, 4, random)]) {
      requests.push(base(`path ${param.name}`, { url: urlOf(op, { ...valid.pathParams, [param.name]: value }, validQuery) }));
    }
  }

  const withQuery = (query: string) => urlOf(op, valid.pathParams, query);
  for (const param of queryParams) {
    for (const value of [...UNSTORABLE_IN_URL, ...pick(BAD_QUERY, 4, random)]) {
      requests.push(base(`query ${param.name}`, { url: withQuery(`${validQuery ? `${validQuery}&` : ''}${param.name}=${value}`) }));
    }
    requests.push(base(`query ${param.name} repeated`, { url: withQuery(`${param.name}=1&${param.name}=2`) }));
    requests.push(base(`query ${param.name} nested`, { url: withQuery(`${param.name}[a]=1`) }));
  }
  // Unknown parameters: refused where a query is declared (strict), and unstorable ones everywhere.
  for (const extra of ['x=%00', '%ED%A0%80=1', ...(queryParams.length ? ['unexpected=1', '__proto__=1', 'constructor[prototype]=1'] : [])]) {
    requests.push(base('query extra', { url: withQuery(validQuery ? `${validQuery}&${extra}` : extra) }));
  }

  if (op.body && validBody) {
    const send = (kind: string, body: unknown) => requests.push(base(kind, { payload: JSON.stringify(body) }));
    for (const [name, property] of Object.entries(op.body.properties ?? {})) {
      for (const text of pick(UNSTORABLE_TEXT, 2, random)) send(`body ${name} unstorable`, { ...validBody, [name]: text });
      send(`body ${name} huge`, { ...validBody, [name]: 'x'.repeat(20_000) });
      for (const wrong of pick(WRONG_TYPES.filter((v) => !accepts(property, v)), 3, random)) send(`body ${name} wrong type`, { ...validBody, [name]: wrong });
      send(`body ${name} deep`, { ...validBody, [name]: JSON.parse(deeplyNested(2_000)) });
    }
    for (const name of op.body.required ?? []) {
      const { [name]: _dropped, ...rest } = validBody;
      send(`body missing ${name}`, rest);
    }
    send('body empty object', {});
    send('body extra field', { ...validBody, unexpected: 'value' });
    send('body unstorable key', { ...validBody, 'k\u0000': 1 });
    for (const raw of [`{"__proto__":{"admin":true},${JSON.stringify(validBody).slice(1)}`, `{"constructor":{"prototype":{"admin":true}}}`]) {
      requests.push(base('body prototype pollution', { payload: raw }));
    }
    for (const raw of [...pick(BAD_JSON, 4, random), ...NOT_OBJECTS, '', deeplyNested(30_000)]) requests.push(base('body invalid json', { payload: raw }));
    requests.push(base('body too large', { payload: JSON.stringify({ ...validBody, padding: 'x'.repeat(100_000) }) }));
    for (const type of pick(OTHER_CONTENT_TYPES, 3, random)) requests.push(base('content-type', { headers: { 'content-type': type } }));
    requests.push(base('content-type none', { headers: {} }));
  }

  if (op.method !== 'GET') {
    for (const { contentType, body } of malformedMultipart()) {
      requests.push(base('multipart', { headers: { 'content-type': contentType }, payload: body }));
    }
  }

  for (const forwarded of pick(BAD_FORWARDED_FOR, 4, random)) {
    requests.push(base('x-forwarded-for', { headers: { ...base('').headers, 'x-forwarded-for': forwarded } }));
  }
  // In place of the caller's session, if they have one.
  for (const cookie of pick(BAD_COOKIES, 2, random)) {
    requests.push(base('cookie', { headers: { ...base('').headers, cookie: `inkwell_session=${cookie}` } }));
  }
  return requests;
}

/** Whether a value already has the schema's type (a "wrong type" must be wrong). */
function accepts(schema: JsonSchema, value: unknown): boolean {
  if (value === null) return schema.nullable === true;
  const type = Array.isArray(value) ? 'array' : typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
  if (schema.type === 'number') return type === 'number' || type === 'integer';
  return schema.type === type;
}
