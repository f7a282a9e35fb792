// The S3 driver production uses, against a real S3-protocol server (s3rver). s3rver knows its accounts'
// access keys but does not verify SigV4 signatures, so the credentials test changes the access key.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ObjectStorage, createStorage, storageConfig, storageEnv } from '../src/index.ts';
import { behavesAsObjectStorage } from './contract.ts';

const BUCKET = 'inkwell-test';
// s3rver's built-in account.
const KEY = 'S3RVER';

let dir: string;
let server: S3rver;
let endpoint: string;
let storage: ObjectStorage;

const s3 = (overrides: Record<string, string> = {}) => {
  const config = storageConfig(
    storageEnv.parse({ STORAGE_DRIVER: 's3', S3_ENDPOINT: endpoint, S3_BUCKET: BUCKET, S3_ACCESS_KEY: KEY, S3_SECRET_KEY: KEY, ...overrides }),
  );
  if (typeof config === 'string') throw new Error(config);
  return createStorage(config);
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inkwell-s3rver-'));
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  storage = s3();
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the S3 driver', () => {
  behavesAsObjectStorage(() => storage);

  it('stores the content type with the object', async () => {
    await storage.put('media/u1/typed.webp', Buffer.from('RIFF'), 'image/webp');
    const url = new URL(endpoint);
    const raw = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: KEY, secretKey: KEY, pathStyle: true });
    const { metaData } = await raw.statObject(BUCKET, 'media/u1/typed.webp');
    expect(metaData['content-type']).toBe('image/webp');
  });

  it('fails check() naming a bucket that does not exist', async () => {
    await expect(s3({ S3_BUCKET: 'no-such-bucket' }).check()).rejects.toThrow('bucket no-such-bucket does not exist');
  });

  it('is refused with credentials the server does not know, and stores nothing', async () => {
    const wrong = s3({ S3_ACCESS_KEY: 'NOT-AN-ACCOUNT' });
    await expect(wrong.put('media/u1/forged.png', Buffer.from('x'), 'image/png')).rejects.toMatchObject({ code: 'InvalidAccessKeyId' });
    expect(await storage.get('media/u1/forged.png')).toBeNull();
  });
});
