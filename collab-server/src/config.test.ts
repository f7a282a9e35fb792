import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has a default for everything', () => {
    expect(loadConfig({})).toMatchObject({
      host: '127.0.0.1',
      port: 4100,
      apiUrl: 'http://127.0.0.1:4000',
      publicOrigin: 'http://localhost:3000',
      redisPrefix: 'inkwell:',
      store: { debounceMs: 1000, maxDebounceMs: 5000 },
      limits: { messageBytes: 4 * 1024 * 1024, documentBytes: 16 * 1024 * 1024 },
    });
    expect(loadConfig({ COLLAB_MAX_MESSAGE_MB: '0.5' }).limits.messageBytes).toBe(512 * 1024);
  });

  it('takes the site’s origin from PUBLIC_URL, as browsers write it', () => {
    expect(loadConfig({ PUBLIC_URL: 'HTTPS://Comics.Example.org:443/' }).publicOrigin).toBe('https://comics.example.org');
  });

  it('names every bad variable at once', () => {
    const bad = { COLLAB_PORT: 'http', API_INTERNAL_URL: 'not a url', COLLAB_STORE_DEBOUNCE_MS: '-1' };
    expect(() => loadConfig(bad)).toThrow(ConfigError);
    expect(() => loadConfig(bad)).toThrow(/COLLAB_PORT[\s\S]*API_INTERNAL_URL[\s\S]*COLLAB_STORE_DEBOUNCE_MS/);
    expect(() => loadConfig({ COLLAB_STORE_DEBOUNCE_MS: '3000', COLLAB_STORE_MAX_DEBOUNCE_MS: '2000' })).toThrow(/MAX_DEBOUNCE/);
  });
});
