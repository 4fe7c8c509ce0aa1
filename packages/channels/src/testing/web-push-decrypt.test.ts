import { encrypt, generateVAPIDKeys, getVapidHeaders } from 'web-push';
import { createSubscriberKeys, decryptWebPush } from './web-push-decrypt';
import { verifyVapid } from './vapid-verify';

describe('test browser: RFC 8291 decryption', () => {
  it('decrypts what web-push encrypts for the subscription', () => {
    const keys = createSubscriberKeys();
    const plaintext = JSON.stringify({ title: 'Größe ✓', body: 'x'.repeat(3000) });
    const { cipherText } = encrypt(keys.p256dh, keys.auth, plaintext, 'aes128gcm');
    expect(decryptWebPush(cipherText, keys).toString('utf8')).toBe(plaintext);
  });

  it('fails for another subscriber', () => {
    const { cipherText } = encrypt(createSubscriberKeys().p256dh, createSubscriberKeys().auth, 'secret', 'aes128gcm');
    expect(() => decryptWebPush(cipherText, createSubscriberKeys())).toThrow();
  });
});

describe('test push service: VAPID verification', () => {
  const vapid = generateVAPIDKeys();
  const header = (audience: string, privateKey = vapid.privateKey) =>
    getVapidHeaders(audience, 'mailto:ops@example.test', vapid.publicKey, privateKey, 'aes128gcm').Authorization;

  it('accepts a JWT signed by k for this audience', () => {
    expect(verifyVapid(header('https://push.example.test'), 'https://push.example.test')).toMatchObject({
      publicKey: vapid.publicKey,
      audience: 'https://push.example.test',
      subject: 'mailto:ops@example.test',
    });
  });

  it('refuses another audience, another signer, or no credential', () => {
    expect(() => verifyVapid(header('https://other.example.test'), 'https://push.example.test')).toThrow(/aud/);
    expect(() => verifyVapid(header('https://push.example.test', generateVAPIDKeys().privateKey), 'https://push.example.test')).toThrow(/signature/);
    expect(() => verifyVapid(undefined, 'https://push.example.test')).toThrow(/vapid/);
  });
});
