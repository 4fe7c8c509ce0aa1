/**
 * Encryption of secrets kept in the database (webhook signing secrets): AES-256-GCM under the
 * operator's SECRETS_KEY, so a database dump alone does not let anyone sign as us. The sealed
 * form is `v1.<iv>.<tag>.<ciphertext>` (base64url); the version lets a later key or cipher
 * coexist with rows sealed by this one. GCM authenticates: a tampered value or a wrong key
 * fails to open rather than yielding garbage.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;

export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

/** A box over a 32-byte key (AES-256). */
export function createSecretBox(key: Uint8Array): SecretBox {
  if (key.length !== 32) throw new SecretBoxError(`the key must be 32 bytes, got ${key.length}`);
  const keyCopy = Buffer.from(key);
  return {
    seal(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keyCopy, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, iv, tag, ciphertext, extra] = sealed.split('.');
      if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined || extra !== undefined) {
        throw new SecretBoxError('not a sealed secret of this version');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyCopy, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('the secret does not open with this key (wrong SECRETS_KEY, or the value was altered)');
      }
    },
  };
}

/** SECRETS_KEY's text: 32 bytes as 64 hex digits or as base64; undefined when it is neither. */
export function parseSecretsKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 32 ? bytes : undefined;
}
