import { randomBytes, createECDH } from 'node:crypto';
import { domainToASCII } from 'node:url';
import fc from 'fast-check';
import {
  asciiDomain,
  emailProblem,
  isValidEmail,
  isValidPhone,
  normalizePhone,
  phoneProblem,
  snsEndpointArnProblem,
  webPushSubscriptionProblems,
} from './addresses';

describe('email addresses', () => {
  it.each([
    'ann@example.com',
    'a.b+tag@sub.example.org',
    "o'neil@example.co.uk",
    'x@xn--bcher-kva.de',
    'ann@bücher.de',
    '用户@例子.广告',
    'δοκιμή@παράδειγμα.δοκιμή',
    'Ännä.Öst@exämple.se',
    "!#$%&'*+-/=?^_`{|}~@example.com",
    `${'a'.repeat(64)}@example.com`,
    'ann@EXAMPLE.COM',
  ])('accepts %s', (a) => {
    expect(emailProblem(a)).toBeUndefined();
    expect(isValidEmail(a)).toBe(true);
  });

  it.each([
    ['', /empty/],
    ['ann', /no @/],
    ['not-an-email', /no @/],
    ['ann@', /no domain/],
    ['@example.com', /nothing before/],
    ['ann@example', /without a dot/],
    ['a b@example.com', /white space/],
    ['ann@exa mple.com', /white space/],
    ['a<b>@x.org', /character not allowed/],
    ['"a b"@example.com', /white space|character/],
    ['"ab"@example.com', /character not allowed/],
    ['.ann@example.com', /misplaced dot/],
    ['ann.@example.com', /misplaced dot/],
    ['a..nn@example.com', /misplaced dot/],
    ['ann@-example.com', /domain label/],
    ['ann@example-.com', /domain label/],
    ['ann@exa_mple.com', /domain label/],
    ['ann@example..com', /domain/],
    ['ann@[192.0.2.1]', /address literal/],
    ['ann@192.0.2.1', /numeric top-level/],
    ['ann\n@example.com', /control|white/],
    ['ann\u0000@example.com', /control/],
    [`${'a'.repeat(65)}@example.com`, /64 octets/],
    [`${'ä'.repeat(33)}@example.com`, /64 octets/],
    [`ann@${'a'.repeat(250)}.com`, /254|253/],
    [`ann@${'a'.repeat(64)}.com`, /domain label/],
    ['ann@example.com\u200B', /white space|control/],
  ])('refuses %p (%s)', (address, why) => {
    expect(emailProblem(address)).toMatch(why);
    expect(isValidEmail(address)).toBe(false);
  });
});

describe('phone numbers', () => {
  it.each(['+46701234567', '+46 70-123 45 67', '+33612340001', '+1 (202) 555-0100', '+4915112345678'])('accepts %s', (p) => {
    expect(phoneProblem(p)).toBeUndefined();
    expect(isValidPhone(p)).toBe(true);
  });
  it.each([
    ['0701234567', /E\.164/],
    ['+0123456789', /E\.164/],
    ['12ab', /E\.164/],
    ['+46 70 12ab', /E\.164/],
    ['+4670', /E\.164/],
    ['+1234567890123456', /E\.164/],
    ['+999123456789', /country calling code/],
    ['+467012', /E\.164/],
    ['+46701', /E\.164/],
    ['+4670123', /possible/],
    ['', /E\.164/],
  ])('refuses %p', (p, why) => {
    expect(phoneProblem(p)).toMatch(why);
    expect(isValidPhone(p)).toBe(false);
  });
  it('normalizes the separators people write', () => {
    expect(normalizePhone('+46 (70) 123.45-67')).toBe('+46701234567');
  });
});

describe('web push subscriptions', () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const good = {
    endpoint: 'https://push.example.net/sub/abc',
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') },
  };
  it('accepts a real subscription, padded or not', () => {
    expect(webPushSubscriptionProblems(good)).toEqual([]);
    expect(webPushSubscriptionProblems({ ...good, keys: { ...good.keys, auth: `${good.keys.auth}==` } })).toEqual([]);
  });
  it.each([
    [{ endpoint: 'http://push.example.net/x' }, '/endpoint', /https/],
    [{ endpoint: 'not a url' }, '/endpoint', /not a URL/],
    [{ endpoint: 'https://user:pw@push.example.net/x' }, '/endpoint', /credentials/],
    [{ keys: { p256dh: 'AAAA', auth: good.keys.auth } }, '/keys/p256dh', /65 bytes/],
    [{ keys: { p256dh: ecdh.getPublicKey(undefined, 'compressed').toString('base64url'), auth: good.keys.auth } }, '/keys/p256dh', /65 bytes/],
    [{ keys: { p256dh: Buffer.alloc(65, 5).toString('base64url'), auth: good.keys.auth } }, '/keys/p256dh', /0x04/],
    [{ keys: { p256dh: 'not base64!', auth: good.keys.auth } }, '/keys/p256dh', /base64url/],
    [{ keys: { p256dh: good.keys.p256dh, auth: randomBytes(12).toString('base64url') } }, '/keys/auth', /16 bytes/],
    [{ keys: { p256dh: good.keys.p256dh, auth: 'a+b/' } }, '/keys/auth', /base64url/],
    [{ keys: { p256dh: good.keys.p256dh, auth: 'abcde' } }, '/keys/auth', /base64url/],
  ])('refuses %j', (change, path, why) => {
    const problems = webPushSubscriptionProblems({ ...good, ...change });
    expect(problems).toEqual([{ path, message: expect.stringMatching(why) }]);
  });
});

describe('SNS endpoint ARNs', () => {
  it.each([
    'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/shop-android/5c2b6c1a-1f2e-3d4c-5b6a-7f8e9d0c1b2a',
    'arn:aws:sns:us-gov-west-1:123456789012:endpoint/APNS_SANDBOX/app.ios/busy',
    'arn:aws-cn:sns:cn-north-1:123456789012:endpoint/BAIDU/app/0001',
  ])('accepts %s', (arn) => expect(snsEndpointArnProblem(arn)).toBeUndefined());
  it.each([
    'arn:aws:sns:eu-west-1:123456789012:my-topic',
    'arn:aws:sns:eu-west-1:12345:endpoint/GCM/app/1',
    'arn:aws:sqs:eu-west-1:123456789012:endpoint/GCM/app/1',
    'arn:aws:sns:',
    'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/app/1/extra',
    'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/app/1\n',
  ])('refuses %p', (arn) => expect(snsEndpointArnProblem(arn)).toMatch(/SNS platform endpoint ARN/));
});

describe('asciiDomain', () => {
  // The shortcut for plain lowercase domains must answer exactly what IDNA answers.
  it.each([
    'example.com',
    'sub.example.co.uk',
    'a-b.example',
    '-a.example',
    'a--b.example',
    'x.0x1f',
    'x.0xzz',
    'x.0',
    '1.2.3.4',
    'x.123abc',
    'xn--bcher-kva.de',
    'xn--zz.com',
    'a.xn--',
    'example',
    `${'a'.repeat(70)}.com`,
    'EXAMPLE.com',
    'bücher.de',
    'example.com.',
  ])('%s', (domain) => {
    expect(asciiDomain(domain)).toBe(domainToASCII(domain));
  });

  it('agrees with IDNA on random domains of letters, digits, hyphens and dots', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9x.-]{1,40}$/), (domain) => asciiDomain(domain) === domainToASCII(domain)),
      { numRuns: 5000 },
    );
  });
});
