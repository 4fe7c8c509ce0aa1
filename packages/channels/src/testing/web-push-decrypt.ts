/**
 * The browser's half of Web Push encryption (RFC 8291 with the aes128gcm content coding of
 * RFC 8188): what a user agent does with a push message it receives. Lets a test act as the
 * browser and read what the provider sent.
 */
import { createDecipheriv, createECDH, hkdfSync, randomBytes, type ECDH } from 'node:crypto';

/** A browser's subscription keys: the public half goes into the PushSubscription. */
export interface SubscriberKeys {
  /** URL-safe base64 uncompressed P-256 public key (the subscription's `p256dh`). */
  p256dh: string;
  /** URL-safe base64 16-byte secret (the subscription's `auth`). */
  auth: string;
  ecdh: ECDH;
  authSecret: Buffer;
}

export function createSubscriberKeys(): SubscriberKeys {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const authSecret = randomBytes(16);
  return {
    p256dh: ecdh.getPublicKey().toString('base64url'),
    auth: authSecret.toString('base64url'),
    ecdh,
    authSecret,
  };
}

/** Decrypts one aes128gcm push message body; throws when it was not encrypted for `keys`. */
export function decryptWebPush(body: Buffer, keys: SubscriberKeys): Buffer {
  // RFC 8188 §2.1 header: salt(16) | record size(4) | key id length(1) | key id (the sender's public key).
  if (body.length < 21) throw new Error('push body shorter than the aes128gcm header');
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body.readUInt8(20);
  const senderPublicKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  if (idLength !== 65) throw new Error(`key id is ${idLength} bytes, expected the sender's 65-byte public key`);
  if (record.length > recordSize) throw new Error('push messages carry a single record');

  // RFC 8291 §3.3-3.4: the shared secret, mixed with the auth secret and both public keys.
  const ecdhSecret = keys.ecdh.computeSecret(senderPublicKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), keys.ecdh.getPublicKey(), senderPublicKey]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, keys.authSecret, keyInfo, 32));
  // RFC 8188 §2.2-2.3: content encryption key and nonce from the salt.
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));

  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02 followed by zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 0x02) throw new Error('missing the last-record padding delimiter 0x02');
  return padded.subarray(0, end);
}
