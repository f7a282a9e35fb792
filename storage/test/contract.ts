import { randomBytes } from 'node:crypto';
import { buffer, text } from 'node:stream/consumers';
import { expect, it } from 'vitest';
import type { ObjectStorage } from '../src/index.ts';

/** What every storage driver must do: the services rely on exactly this and nothing more. */
export function behavesAsObjectStorage(storage: () => ObjectStorage): void {
  const read = async (key: string) => {
    const found = await storage().get(key);
    return found && { size: found.size, body: await text(found.body) };
  };

  it('answers check() when it is reachable', async () => {
    await expect(storage().check()).resolves.toBeUndefined();
  });

  it('gives back the bytes it was given, with their size', async () => {
    const body = Buffer.from('ünïcode bytes, not characters');
    await storage().put('media/u1/a.png', body, 'image/png');
    expect(await read('media/u1/a.png')).toEqual({ size: body.length, body: body.toString() });
  });

  it('gives back an empty object, and one larger than a read at a time, byte for byte', async () => {
    for (const [key, body] of [['media/u1/empty.png', Buffer.alloc(0)], ['media/u1/large.png', randomBytes(200_001)]] as const) {
      await storage().put(key, body, 'image/png');
      const found = await storage().get(key);
      expect(found?.size).toBe(body.length);
      expect((await buffer(found!.body)).equals(body)).toBe(true);
    }
  });

  it('replaces an object put again under the same key', async () => {
    await storage().put('media/u1/b.png', Buffer.from('first version'), 'image/png');
    await storage().put('media/u1/b.png', Buffer.from('second'), 'image/png');
    expect(await read('media/u1/b.png')).toEqual({ size: 6, body: 'second' });
  });

  it('answers null for a key that was never put', async () => {
    expect(await storage().get('media/u1/never.png')).toBeNull();
  });

  it('deletes an object, and deleting it again is no error', async () => {
    await storage().put('media/u1/c.png', Buffer.from('gone soon'), 'image/png');
    await storage().delete('media/u1/c.png');
    expect(await storage().get('media/u1/c.png')).toBeNull();
    await expect(storage().delete('media/u1/c.png')).resolves.toBeUndefined();
  });

  it('keeps keys apart', async () => {
    await storage().put('media/u1/d.png', Buffer.from('one'), 'image/png');
    await storage().put('media/u2/d.png', Buffer.from('two'), 'image/png');
    await storage().delete('media/u1/d.png');
    expect(await read('media/u2/d.png')).toEqual({ size: 3, body: 'two' });
  });
}
