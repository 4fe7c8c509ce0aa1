import { randomBytes } from 'node:crypto';
import { createSecretBox, parseSecretsKey, SecretBoxError } from './secret-box';

const key = randomBytes(32);

it('opens what it sealed, and seals the same text differently each time', () => {
  const box = createSecretBox(key);
  const a = box.seal('whsec_abc');
  const b = box.seal('whsec_abc');
  expect(a).not.toBe(b);
  expect(a).not.toContain('whsec_abc');
  expect(box.open(a)).toBe('whsec_abc');
  expect(box.open(b)).toBe('whsec_abc');
});

it('refuses to open with another key', () => {
  const sealed = createSecretBox(key).seal('whsec_abc');
  expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow(SecretBoxError);
});

it('refuses an altered ciphertext (GCM authenticates)', () => {
  const box = createSecretBox(key);
  const [v, iv, tag, ct] = box.seal('whsec_abcdef').split('.') as [string, string, string, string];
  const flipped = Buffer.from(ct, 'base64url');
  flipped[0] = flipped[0]! ^ 1;
  expect(() => box.open([v, iv, tag, flipped.toString('base64url')].join('.'))).toThrow(SecretBoxError);
  expect(() => box.open('garbage')).toThrow(SecretBoxError);
});

it('wants a 32-byte key', () => {
  expect(() => createSecretBox(randomBytes(16))).toThrow(SecretBoxError);
});

it('reads SECRETS_KEY as hex or base64 of 32 bytes', () => {
  expect(parseSecretsKey(key.toString('hex'))).toEqual(key);
  expect(parseSecretsKey(key.toString('base64'))).toEqual(key);
  expect(parseSecretsKey(key.toString('base64url'))).toEqual(key);
  expect(parseSecretsKey(randomBytes(16).toString('base64'))).toBeUndefined();
  expect(parseSecretsKey('not a key!')).toBeUndefined();
});
