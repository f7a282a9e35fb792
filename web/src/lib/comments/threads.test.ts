import { describe, expect, it } from 'vitest';
import { mentionAt, mentionMatches, placeOf, segments } from './threads.ts';

describe('comment threads', () => {
  it('a thread on a shape that is gone is on a deleted shape; a point stays a point', () => {
    const missing = ['shape:gone'];
    expect(placeOf({ shapeId: 'shape:gone' }, missing)).toBe('deleted');
    expect(placeOf({ shapeId: 'shape:here' }, missing)).toBe('shape');
    expect(placeOf({ pageId: 'page:a', x: 1, y: 2 }, missing)).toBe('point');
  });

  it('marks mentions of members only, and keeps markup as text', () => {
    expect(segments('Hi @Ann, <b>look</b> @nobody and mail@ann.com', ['ann', 'bob'])).toEqual([
      { text: 'Hi ', mention: false },
      { text: '@Ann', mention: true },
      { text: ', <b>look</b> @nobody and mail@ann.com', mention: false },
    ]);
    expect(segments('@bob', ['bob'])).toEqual([{ text: '@bob', mention: true }]);
  });

  it('finds the mention being typed before the caret, and the members it may be', () => {
    expect(mentionAt('Hello @an', 9)).toEqual({ start: 6, query: 'an' });
    expect(mentionAt('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionAt('mail@an', 7)).toBeNull();
    expect(mentionAt('Hello @ann done', 15)).toBeNull();
    expect(mentionMatches(['joanna', 'anne', 'bob', 'Andy'], 'an')).toEqual(['anne', 'Andy', 'joanna']);
  });
});
