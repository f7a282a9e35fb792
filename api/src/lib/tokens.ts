import { sha256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';

/**
 * A secret token in the shape `<id>.<secret>`: the id finds the row, the secret proves possession.
 * Only a SHA-256 of the secret is stored, so a leaked table grants nothing.
 */
export interface IssuedToken {
  id: string;
  token: string;
  secretHash: Buffer;
}

function randomString(): string {
  // 20 random bytes = 160 bits of entropy, 32 base32 characters.
  return encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(20)));
}

export function issueToken(): IssuedToken {
  const id = randomString();
  const secret = randomString();
  return { id, token: `${id}.${secret}`, secretHash: hashSecret(secret) };
}

export function hashSecret(secret: string): Buffer {
  return Buffer.from(sha256(new TextEncoder().encode(secret)));
}

/** Splits a token we issued; anything else (another alphabet, NUL or control bytes, lone surrogates) is null. */
export function parseToken(token: string): { id: string; secret: string } | null {
  const match = token.length <= 200 ? /^([a-z2-7]+)\.([a-z2-7]+)$/.exec(token) : null;
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

export function secretMatches(secret: string, storedHash: Uint8Array): boolean {
  const hash = hashSecret(secret);
  return hash.length === storedHash.length && constantTimeEqual(hash, storedHash);
}
