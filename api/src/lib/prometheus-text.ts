// A minimal reader of the Prometheus text exposition format (version 0.0.4), enough to read our own services'
// /metrics: `name{label="value",…} value [timestamp]` lines; comments (# HELP, # TYPE) and blank lines skipped.
// prom-client writes this format but cannot read it, and the npm parsers for it are unmaintained.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', n: '\n' };

/** Number as the format writes it: also `NaN`, `+Inf`, `-Inf`. */
function parseValue(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  return text !== '' && !Number.isNaN(value) ? value : undefined;
}

/** `{a="1",b="x\"y"}` at the start of `rest`: the labels and where they end; undefined when malformed. */
function parseLabels(rest: string): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    while (rest[i] === ' ') i++;
    if (rest[i] === '}') return { labels, end: i + 1 };
    const name = LABEL_NAME.exec(rest.slice(i))?.[0];
    if (!name || rest[i + name.length] !== '=' || rest[i + name.length + 1] !== '"') return undefined;
    i += name.length + 2;
    let value = '';
    while (i < rest.length && rest[i] !== '"') {
      if (rest[i] === '\\') {
        const escaped = ESCAPES[rest[i + 1] ?? ''];
        value += escaped ?? `\\${rest[i + 1] ?? ''}`;
        i += 2;
      } else value += rest[i++];
    }
    if (i >= rest.length) return undefined;
    labels[name] = value;
    i++;
    while (rest[i] === ' ') i++;
    if (rest[i] === ',') i++;
  }
}

/** Every sample in `text`; a line that is not one is skipped rather than failing the whole page. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) continue;
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest);
      if (!parsed) continue;
      labels = parsed.labels;
      rest = rest.slice(parsed.end);
    }
    const value = parseValue(rest.trim().split(/\s+/)[0] ?? '');
    if (value !== undefined) samples.push({ name, labels, value });
  }
  return samples;
}

/** The sum of every sample named `name` whose labels include `where`. */
export function sumOf(samples: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** A service's /metrics page, given up after `timeoutMs`. */
export async function scrapeMetrics(url: string, timeoutMs: number): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.text();
}
