import { describe, expect, it } from 'vitest';
import { createSessionCache } from './session-cache.ts';
import type { Auth } from './sessions.ts';

const auth = (userId: string, sessionId: string): Auth => ({
  sessionId,
  user: { id: userId, email: 'a@example.com', username: 'a', emailVerified: true, createdAt: new Date(), role: { name: 'user', level: 2 }, permissions: new Set(), suspension: null },
});
const entry = (userId: string, sessionId: string) => ({ auth: auth(userId, sessionId), expiresAt: new Date(Date.now() + 60_000), lastUsedAt: new Date() });

describe('session cache', () => {
  it('serves what it was given until its lifetime ends', async () => {
    const cache = createSessionCache({ ttlMs: 50, maxEntries: 10, channel: 'unused' });
    cache.set('t1', entry('u1', 's1'), Date.now());
    expect(cache.get('t1')?.auth.sessionId).toBe('s1');
    await new Promise((r) => setTimeout(r, 70));
    expect(cache.get('t1')).toBeUndefined();
    await cache.close();
  });

  it('drops every session of a user, or one session, when told', async () => {
    const cache = createSessionCache({ ttlMs: 60_000, maxEntries: 10, channel: 'unused' });
    cache.set('t1', entry('u1', 's1'), Date.now());
    cache.set('t2', entry('u1', 's2'), Date.now());
    cache.set('t3', entry('u2', 's3'), Date.now());
    cache.drop({ kind: 'session', id: 's2' });
    expect(cache.get('t2')).toBeUndefined();
    expect(cache.get('t1')).toBeDefined();
    cache.drop({ kind: 'user', id: 'u1' });
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.get('t3')).toBeDefined();
    await cache.close();
  });

  it('refuses a read that began before the session was revoked', async () => {
    const cache = createSessionCache({ ttlMs: 60_000, maxEntries: 10, channel: 'unused' });
    const readStartedAt = Date.now();
    cache.drop({ kind: 'session', id: 's1' });
    cache.set('t1', entry('u1', 's1'), readStartedAt);
    expect(cache.get('t1')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 5));
    cache.set('t1', entry('u1', 's1'), Date.now());
    expect(cache.get('t1')).toBeDefined();
    await cache.close();
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const cache = createSessionCache({ ttlMs: 60_000, maxEntries: 2, channel: 'unused' });
    for (const n of [1, 2, 3]) cache.set(`t${n}`, entry('u', `s${n}`), Date.now());
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.get('t3')).toBeDefined();
    await cache.close();
  });
});
