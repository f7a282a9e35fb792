// Plain helpers for comment threads: where a thread is (for the panel's label), its mentions for display,
// and the mention being typed (for the autocomplete). No Svelte, no tldraw: unit-tested.
import type { CommentAnchor, CommentThread } from '@inkwell/api/contract';

export type ThreadPlace = 'shape' | 'point' | 'deleted';

/** Where a thread is pinned, as the panel says it: a shape that is gone makes it "on a deleted shape". */
export function placeOf(anchor: CommentAnchor, missingShapes: readonly string[]): ThreadPlace {
  if ('pageId' in anchor) return 'point';
  return missingShapes.includes(anchor.shapeId) ? 'deleted' : 'shape';
}

/** Open threads first, each group oldest first, as the API lists them; the label is the thread's number. */
export function splitThreads(threads: CommentThread[]): { open: CommentThread[]; resolved: CommentThread[]; labels: Map<string, string> } {
  const labels = new Map(threads.map((thread, index) => [thread.id, String(index + 1)]));
  return { open: threads.filter((t) => !t.resolvedAt), resolved: threads.filter((t) => t.resolvedAt), labels };
}

export interface Segment {
  text: string;
  mention: boolean;
}

/** A comment's text cut into plain text and @mentions of these members (shown as text, never as HTML). */
export function segments(body: string, members: readonly string[]): Segment[] {
  const known = new Set(members.map((name) => name.toLowerCase()));
  const parts: Segment[] = [];
  let last = 0;
  for (const match of body.matchAll(/(^|[^\w@.-])@([A-Za-z0-9_-]{3,32})\b/g)) {
    const start = match.index + match[1]!.length;
    if (!known.has(match[2]!.toLowerCase())) continue;
    if (start > last) parts.push({ text: body.slice(last, start), mention: false });
    parts.push({ text: `@${match[2]}`, mention: true });
    last = start + match[2]!.length + 1;
  }
  if (last < body.length) parts.push({ text: body.slice(last), mention: false });
  return parts;
}

/** The `@partial` being typed just before the caret, if any: where it starts and what is typed so far. */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const match = /(?:^|[^\w@.-])@([A-Za-z0-9_-]{0,32})$/.exec(text.slice(0, caret));
  if (!match) return null;
  return { start: caret - match[1]!.length - 1, query: match[1]! };
}

/** The members whose name starts with (then contains) the query, at most `limit`. */
export function mentionMatches(members: readonly string[], query: string, limit = 6): string[] {
  const q = query.toLowerCase();
  const starts = members.filter((name) => name.toLowerCase().startsWith(q));
  const contains = members.filter((name) => !name.toLowerCase().startsWith(q) && name.toLowerCase().includes(q));
  return [...starts, ...contains].slice(0, limit);
}
