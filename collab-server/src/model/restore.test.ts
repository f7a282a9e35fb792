import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { recordsOf } from './doc.ts';
import { caption, docWith, page, panel } from './fixtures.ts';
import { isRestored, recordsOfState, restoreRecords } from './restore.ts';

const PAGE = page('p1', 'Page 1', 'a1');
const LEFT = panel('left', 'page:p1', 'a1', { x: 0, y: 0, w: 400, h: 300 });
const RIGHT = panel('right', 'page:p1', 'a2', { x: 400, y: 0, w: 400, h: 300 });

describe('restoreRecords', () => {
  it('puts and removes records in one change so the document holds exactly the version, leaving equal ones alone', () => {
    const version = docWith([PAGE, LEFT, caption('words', 'shape:left', 'a1', 'Before')]);
    const state = Y.encodeStateAsUpdate(version);
    const live = docWith([PAGE, RIGHT, caption('words', 'shape:left', 'a1', 'After')]);
    let changes = 0;
    live.on('update', () => changes++);

    expect(restoreRecords(live, recordsOfState(state), 'version-1')).toEqual({ put: 2, removed: 1 });
    expect(changes).toBe(1);
    expect(recordsOf(live).toJSON()).toEqual(recordsOf(version).toJSON());
    expect(isRestored(live, 'version-1')).toBe(true);
    expect(isRestored(live, 'version-2')).toBe(false);
    // Again: nothing left to change.
    expect(restoreRecords(live, recordsOfState(state), 'version-1')).toEqual({ put: 0, removed: 0 });
  });

  it('empties the comic when the version had nothing', () => {
    const live = docWith([PAGE, LEFT]);
    restoreRecords(live, recordsOfState(Y.encodeStateAsUpdate(new Y.Doc())), 'empty');
    expect([...recordsOf(live).keys()]).toEqual([]);
  });
});
