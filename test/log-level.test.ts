// One LOG_LEVEL for every service: a value one service takes, the others take too, and rank alike.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LOG_LEVELS, logs } from '@inkwell/workflows/log-level';
import { loadConfig as loadApiConfig } from '../api/src/config.ts';
import { loadConfig as loadCollabConfig } from '../collab-server/src/config.ts';
import { createLogger } from '../collab-server/src/logger.ts';
import { loadConfig as loadWorkerConfig } from '../gpu-worker/src/config.ts';

const services = { api: loadApiConfig, 'collab-server': loadCollabConfig, 'gpu-worker': loadWorkerConfig };

describe('LOG_LEVEL', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  for (const [service, load] of Object.entries(services)) {
    it(`is taken by the ${service} at every level, defaulting to info, and refused when unknown`, () => {
      for (const level of LOG_LEVELS) expect(load({ LOG_LEVEL: level }).logLevel).toBe(level);
      expect(load({}).logLevel).toBe('info');
      expect(() => load({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    });
  }

  it('writes an event at or above the level, and nothing when silent', () => {
    expect(logs('trace', 'debug')).toBe(true);
    expect(logs('info', 'info')).toBe(true);
    expect(logs('info', 'debug')).toBe(false);
    expect(logs('error', 'warn')).toBe(false);
    expect(logs('fatal', 'error')).toBe(false);
    expect(logs('fatal', 'fatal')).toBe(true);
    for (const event of LOG_LEVELS.filter((level) => level !== 'silent')) expect(logs('silent', event)).toBe(false);
  });

  it('keeps the collab-server logging at trace, debug lines included', () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    const stderr = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    const logger = createLogger('trace');
    logger.debug('a debug line');
    logger.info('an info line');
    logger.error('an error line');
    const lines = (spy: typeof stdout) => spy.mock.calls.map(([line]) => JSON.parse(String(line)).msg);
    expect(lines(stdout)).toEqual(['a debug line', 'an info line']);
    expect(lines(stderr)).toEqual(['an error line']);
  });
});
