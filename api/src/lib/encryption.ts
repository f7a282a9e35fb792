// Sensitive texts at rest (report details, appeal messages, moderator notes): AES-256-GCM under a key from
// configuration. Each value names the key that wrote it, so keys can rotate: new values use the current key,
// older ones stay readable while their key is listed among the old keys.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface DataKey {
  /** Stored beside each value: letters, digits, `_` and `-`. */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export interface DataKeys {
  current: DataKey;
  /** Keys that wrote older values: read, never written with. */
  old: DataKey[];
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Reads `id:base64,id:base64,...` (the first is the current key), or a message saying what is wrong. A
 * key is 32 random bytes in base64: `openssl rand -base64 32`.
 */
export function parseDataKeys(text: string): DataKeys | string {
  const keys: DataKey[] = [];
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const id = entry.slice(0, colon);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (colon < 1 || !KEY_ID.test(id)) return 'each key is written as <id>:<base64 key>, the id of letters, digits, _ and -';
    if (key.length !== 32) return `key ${id} is not 32 bytes in base64 (openssl rand -base64 32)`;
    if (keys.some((k) => k.id === id)) return `key id ${id} is listed twice`;
    keys.push({ id, key });
  }
  const [current, ...old] = keys;
  return current ? { current, old } : 'no key is given';
}

export function createDataCipher(keys: DataKeys) {
  const byId = new Map([keys.current, ...keys.old].map((k) => [k.id, k.key]));
  return {
    /** `<key id>:<base64 of iv | tag | ciphertext>`. */
    encrypt(plain: string): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keys.current.key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${keys.current.id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
    },

    /** Throws when the value's key is not configured or the value was tampered with. */
    decrypt(stored: string): string {
      const colon = stored.indexOf(':');
      const key = byId.get(stored.slice(0, colon));
      if (colon < 1 || !key) throw new Error(`no data key "${stored.slice(0, Math.max(colon, 0))}" is configured to read this value`);
      const raw = Buffer.from(stored.slice(colon + 1), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    },

    /** Whether the value was written with an older key (for re-encrypting it). */
    isStale: (stored: string) => !stored.startsWith(`${keys.current.id}:`),
  };
}

export type DataCipher = ReturnType<typeof createDataCipher>;
