/**
 * Property tests of the one event judge (REST single, batch items, SOAP): valid events always
 * pass and keep their values; any single field given a value of the wrong type is refused,
 * and the refusal names that field.
 */
import fc from 'fast-check';
import { checkEventShape, eventAddressErrors, MAX_CTX_DEPTH } from './event-check';

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

const phone = fc.oneof(
  fc.stringMatching(/^\+4670\d{7}$/),
  fc.stringMatching(/^\+336\d{8}$/),
  fc.stringMatching(/^\+1[2-9]\d\d[2-9]\d{6}$/),
  fc.stringMatching(/^\+44 7\d{3} \d{6}$/),
);

const webPush = fc.record(
  {
    endpoint: fc.webUrl({ validSchemes: ['https'], withQueryParameters: true }).filter((u) => u.length <= 2000),
    keys: fc.record({
      p256dh: fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => base64url(Uint8Array.from([4, ...b]))),
      auth: fc.uint8Array({ minLength: 16, maxLength: 16 }).map(base64url),
    }),
    expirationTime: fc.oneof(fc.constant(null), fc.integer({ min: 0 })),
  },
  { requiredKeys: ['endpoint', 'keys'] },
);

const snsArn = fc
  .tuple(fc.constantFrom('GCM', 'APNS', 'APNS_SANDBOX'), fc.stringMatching(/^[A-Za-z0-9_.-]{1,40}$/), fc.uuid())
  .map(([platform, app, id]) => `arn:aws:sns:eu-west-1:123456789012:endpoint/${platform}/${app}/${id}`);

const isoDate = fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());

const validEvent = fc.record(
  {
    type: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/),
    email: fc.emailAddress().filter((e) => e.length <= 254),
    mobilePhone: phone,
    push: fc.oneof(webPush.map((w) => ({ webPush: w })), snsArn.map((a) => ({ snsEndpointArn: a }))),
    wishedChannel: fc.constantFrom('email', 'sms', 'push', '0', '1', '41', '42', 0, 1, 41, 42),
    externalId: fc.string({ maxLength: 255 }),
    origin: fc.string({ unit: 'binary', maxLength: 100 }),
    locale: fc.constantFrom('sv', 'en-GB', 'pt_BR', 'zh-Hant-TW', 'fil'),
    scheduled: isoDate,
    expiration: isoDate,
    ctx: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })),
    idempotencyKey: fc.stringMatching(/^[!-~]([ -~]{0,100}[!-~])?$/),
  },
  { requiredKeys: ['type'] },
);

test('valid events always pass, addresses included, and keep their values', () => {
  fc.assert(
    fc.property(validEvent, (event) => {
      const before = structuredClone(event);
      const verdict = checkEventShape(event);
      expect(verdict).toEqual({ ok: true, event: before });
      if (verdict.ok) expect(eventAddressErrors(verdict.event)).toEqual([]);
    }),
    { numRuns: 500 },
  );
});

/** Where a value may go, and what it may never be. */
const fields: { path: string[]; wrong: fc.Arbitrary<unknown> }[] = [];
const notString = fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
for (const path of [['type'], ['email'], ['mobilePhone'], ['externalId'], ['origin'], ['locale'], ['scheduled'], ['expiration'], ['idempotencyKey']]) {
  fields.push({ path, wrong: notString });
}
fields.push({ path: ['wishedChannel'], wrong: fc.oneof(fc.boolean(), fc.constant(null), fc.array(fc.constantFrom('email', 'sms')), fc.object({ maxDepth: 1 }), fc.integer().filter((n) => ![0, 1, 41, 42].includes(n))) });
fields.push({ path: ['ctx'], wrong: fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue({ maxDepth: 2 }))) });
fields.push({ path: ['push'], wrong: fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer())) });
for (const path of [['push', 'webPush', 'endpoint'], ['push', 'webPush', 'keys', 'p256dh'], ['push', 'webPush', 'keys', 'auth']]) {
  fields.push({ path, wrong: notString });
}
fields.push({ path: ['push', 'webPush', 'keys'], wrong: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.string())) });
fields.push({ path: ['push', 'snsEndpointArn'], wrong: notString });

function setAt(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
}

test('any single field of the wrong type is refused, naming that field', () => {
  fc.assert(
    fc.property(
      validEvent,
      webPush,
      snsArn,
      fc.integer({ min: 0, max: fields.length - 1 }).chain((i) => fc.tuple(fc.constant(fields[i]!), fields[i]!.wrong)),
      (event, subscription, arn, [field, wrong]) => {
        const candidate: Record<string, unknown> = structuredClone(event);
        // Give the event the branch of push the path goes through.
        if (field.path[0] === 'push' && field.path[1] === 'webPush') candidate.push = { webPush: structuredClone(subscription) };
        if (field.path[1] === 'snsEndpointArn') candidate.push = { snsEndpointArn: arn };
        setAt(candidate, field.path, wrong);
        const verdict = checkEventShape(candidate);
        const pointer = `/${field.path.join('/')}`;
        expect(verdict.ok).toBe(false);
        if (!verdict.ok) expect(verdict.errors.map((e) => e.path)).toContain(pointer);
      },
    ),
    { numRuns: 1000 },
  );
});

test(`ctx may nest ${MAX_CTX_DEPTH} levels, not more`, () => {
  let ctx: Record<string, unknown> = {};
  for (let i = 1; i < MAX_CTX_DEPTH; i++) ctx = { d: ctx };
  expect(checkEventShape({ type: 'T', ctx }).ok).toBe(true);
  expect(checkEventShape({ type: 'T', ctx: { d: ctx } })).toEqual({ ok: false, errors: [{ path: '/ctx', message: `nests deeper than ${MAX_CTX_DEPTH} levels` }] });
});

test('arrays count as levels too, wherever the deep branch is', () => {
  let deep: unknown = [];
  for (let i = 2; i < MAX_CTX_DEPTH; i++) deep = [1, 'x', deep, null];
  expect(checkEventShape({ type: 'T', ctx: { a: [{}, 2], b: deep } }).ok).toBe(true);
  expect(checkEventShape({ type: 'T', ctx: { a: [{}, 2], b: [deep] } })).toMatchObject({ ok: false, errors: [{ path: '/ctx' }] });
});

test('address faults are named by path', () => {
  const errors = eventAddressErrors({
    type: 'T',
    email: 'not-an-email',
    mobilePhone: '12ab',
    push: { webPush: { endpoint: 'https://p.example/x', keys: { p256dh: 'AAAA', auth: 'AAAA' } } },
  });
  expect(errors.map((e) => e.path)).toEqual(['/email', '/mobilePhone', '/push/webPush/keys/p256dh', '/push/webPush/keys/auth']);
  expect(eventAddressErrors({ type: 'T', push: { snsEndpointArn: 'arn:aws:sns:eu-west-1:1:x' } })).toEqual([
    { path: '/push/snsEndpointArn', message: expect.stringMatching(/SNS platform endpoint ARN/) },
  ]);
});
