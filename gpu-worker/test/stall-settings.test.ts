// STALLED_CHECK_SECONDS is a promise (README): a dead worker's job goes to another worker within it.
import { describe, expect, it } from 'vitest';
import { stallSettings } from '../src/worker.ts';

describe('stallSettings', () => {
  it('hands a dead worker’s job on within STALLED_CHECK_SECONDS', () => {
    for (const seconds of [10, 15, 30, 60, 600]) {
      const { lockDuration, stalledInterval } = stallSettings(seconds * 1000);
      // The longest wait: the dead worker's lock lapses (lockDuration), then the next check moves the job…
      expect(lockDuration + stalledInterval, `${seconds} s`).toBeLessThanOrEqual(seconds * 1000);
      // …which holds only while checks come at least as often as a lock lasts.
      expect(stalledInterval, `${seconds} s`).toBeLessThanOrEqual(lockDuration);
    }
  });

  it('never makes a lock so short that a busy worker loses a job it is running', () => {
    expect(stallSettings(1000)).toEqual({ lockDuration: 5000, stalledInterval: 500 });
  });
});
