import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ObjectStorage, createStorage, storageConfig, storageEnv } from '../src/index.ts';
import { behavesAsObjectStorage } from './contract.ts';

let dir: string;
let storage: ObjectStorage;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inkwell-storage-'));
  // The default driver, chosen from an environment that names only the folder.
  const config = storageConfig(storageEnv.parse({ STORAGE_DIR: join(dir, 'objects') }));
  if (typeof config === 'string') throw new Error(config);
  storage = createStorage(config);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the local driver', () => {
  behavesAsObjectStorage(() => storage);

  it('refuses a key that would leave its folder', async () => {
    await expect(storage.put('../outside.png', Buffer.from('x'), 'image/png')).rejects.toThrow('escapes the storage folder');
    await expect(storage.get('media/../../outside.png')).rejects.toThrow('escapes the storage folder');
    expect(await readdir(dir)).toEqual(['objects']);
  });

  it('leaves no partial file behind after a put', async () => {
    await storage.put('media/u9/whole.png', Buffer.alloc(1 << 20, 7), 'image/png');
    expect(await readdir(join(dir, 'objects', 'media', 'u9'))).toEqual(['whole.png']);
  });
});
