import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { z } from 'zod';

/**
 * Where media bytes live. Services see only this: a local folder by default, S3/MinIO when configured.
 * Keys are our own (`media/<user>/<id>.png`), never a user's file name.
 */
export interface ObjectStorage {
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** The object's bytes, or null when there is no such object. */
  get(key: string): Promise<{ body: Readable; size: number } | null>;
  delete(key: string): Promise<void>;
  check(): Promise<void>;
}

export function createLocalStorage(root: string): ObjectStorage {
  const base = resolve(root);
  const pathOf = (key: string) => {
    const path = resolve(base, key);
    if (!path.startsWith(base + sep)) throw new Error(`storage key escapes the storage folder: ${key}`);
    return path;
  };
  return {
    async put(key, body) {
      const path = pathOf(key);
      // Write then rename: a reader never sees half a file. The folder is made only when it is missing.
      const partial = `${path}.${process.pid}.partial`;
      await writeFile(partial, body).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
        await mkdir(dirname(path), { recursive: true });
        await writeFile(partial, body);
      });
      await rename(partial, path);
    },
    async get(key) {
      const path = pathOf(key);
      try {
        const { size } = await stat(path);
        // Told where the file ends, the stream reads it into one buffer of its size and stops there. Left to find
        // the end itself, it reads into 64 KB buffers until one comes back empty (three, 144 KB, for a 16 KB
        // picture): memory outside the heap that set off a full garbage collection every hundred or so pictures served.
        return { body: createReadStream(path, { start: 0, end: Math.max(size - 1, 0) }), size };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async check() {
      await mkdir(base, { recursive: true });
      await stat(join(base));
    },
  };
}

export interface S3Options {
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

export function createS3Storage(opts: S3Options): ObjectStorage {
  const url = new URL(opts.endpoint);
  const client = new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    useSSL: url.protocol === 'https:',
    accessKey: opts.accessKey,
    secretKey: opts.secretKey,
    region: opts.region,
    pathStyle: true,
  });
  return {
    async put(key, body, contentType) {
      await client.putObject(opts.bucket, key, body, body.length, { 'Content-Type': contentType });
    },
    async get(key) {
      try {
        const { size } = await client.statObject(opts.bucket, key);
        return { body: await client.getObject(opts.bucket, key), size };
      } catch (error) {
        if ((error as { code?: string }).code === 'NotFound' || (error as { code?: string }).code === 'NoSuchKey') return null;
        throw error;
      }
    },
    async delete(key) {
      await client.removeObject(opts.bucket, key);
    },
    async check() {
      if (!(await client.bucketExists(opts.bucket))) throw new Error(`bucket ${opts.bucket} does not exist`);
    },
  };
}

/** Storage settings from the environment, shared by every service that keeps media. */
export const storageEnv = z.object({
  STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
  STORAGE_DIR: z.string().default('.data/storage'),
  S3_ENDPOINT: z.url().optional(),
  S3_BUCKET: z.string().optional(),
  S3_ACCESS_KEY: z.string().optional(),
  S3_SECRET_KEY: z.string().optional(),
  S3_REGION: z.string().default('us-east-1'),
});

export type StorageConfig = { driver: 'local'; dir: string } | ({ driver: 's3' } & S3Options);

/** The storage settings, or the message that says which S3 variables are missing. */
export function storageConfig(e: z.infer<typeof storageEnv>): StorageConfig | string {
  if (e.STORAGE_DRIVER === 'local') return { driver: 'local', dir: e.STORAGE_DIR };
  if (!e.S3_ENDPOINT || !e.S3_BUCKET || !e.S3_ACCESS_KEY || !e.S3_SECRET_KEY) {
    return 'STORAGE_DRIVER=s3 needs S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY and S3_SECRET_KEY';
  }
  return { driver: 's3', endpoint: e.S3_ENDPOINT, bucket: e.S3_BUCKET, accessKey: e.S3_ACCESS_KEY, secretKey: e.S3_SECRET_KEY, region: e.S3_REGION };
}

export function createStorage(config: StorageConfig): ObjectStorage {
  return config.driver === 's3' ? createS3Storage(config) : createLocalStorage(config.dir);
}
