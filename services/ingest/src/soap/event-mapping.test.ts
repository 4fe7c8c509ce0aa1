import { parseXmlDocument } from './envelope-parser';
import { adobeDateToIso, mapEventElement, type MappedEvent } from './event-mapping';

const map = (xml: string) => mapEventElement(parseXmlDocument(xml));
const ok = (m: MappedEvent) => {
  if (!m.ok) throw new Error(`expected a mapped event, got: ${m.message}`);
  return m;
};
const message = (m: MappedEvent) => (m.ok ? '' : m.message);

describe('rtEvent / batchEvent → EventInput', () => {
  it('maps the attributes and picks the lane from the element name', () => {
    const rt = ok(
      map(
        '<rtEvent type="ORDER_CONFIRMATION" email="eva.lind@example.org" origin="webshop" wishedChannel="0" ' +
          'externalId="A-77810" mobilePhone="0046705550101" language="sv"><ctx><a>1</a></ctx></rtEvent>',
      ),
    );
    expect(rt.lane).toBe('realtime');
    expect(rt.event).toEqual({
      type: 'ORDER_CONFIRMATION',
      email: 'eva.lind@example.org',
      origin: 'webshop',
      wishedChannel: 'email',
      externalId: 'A-77810',
      mobilePhone: '0046705550101', // leading zeros kept
      locale: 'sv',
      ctx: { a: '1' },
    });
    expect(ok(map('<batchEvent type="INVOICE_READY"/>')).lane).toBe('batch');
  });

  it('treats empty attributes as absent and leaves ctx out when there is none', () => {
    expect(ok(map('<rtEvent type="X" email="" mobilePhone=" " wishedChannel=""/>')).event).toEqual({ type: 'X' });
  });

  it.each([
    ['0', 'email'],
    ['1', 'sms'],
    ['41', 'push'],
    ['42', 'push'],
    ['sms', 'sms'],
  ])('wishedChannel %s → %s', (code, channel) => {
    expect(ok(map(`<rtEvent type="X" wishedChannel="${code}"/>`)).event.wishedChannel).toBe(channel);
  });

  it('refuses an unknown wishedChannel', () => {
    expect(message(map('<rtEvent type="X" wishedChannel="7"/>'))).toMatch(/wishedChannel: "7" is not 0 \(email\)/);
  });

  it('requires the type and checks its syntax', () => {
    expect(message(map('<rtEvent email="a@example.org"/>'))).toMatch(/type attribute .* is required/);
    expect(message(map('<rtEvent type="has space"/>'))).toMatch(/^attribute type: /);
  });

  it('takes a bad email address or phone number as given (the worker ends it targetingFailed)', () => {
    for (const bad of ['eva', 'eva@', '@example.org', 'eva@example', 'eva lind@example.org', 'eva@exa_mple.org', 'eva@@example.org', '&lt;eva@example.org&gt;']) {
      expect(ok(map(`<rtEvent type="X" email="${bad}"/>`)).event.email).toBe(bad.replace('&lt;', '<').replace('&gt;', '>'));
    }
    expect(ok(map('<rtEvent type="X" mobilePhone="not a phone"/>')).event.mobilePhone).toBe('not a phone');
  });

  it('accepts ordinary addresses, an international local part and punycode domains', () => {
    for (const good of ['eva.lind@example.org', "o'brien+tag@mail.example.co.uk", 'åsa@exempel.se', 'x@xn--exmple-cua.com']) {
      expect(ok(map(`<rtEvent type="X" email="${good}"/>`)).event.email).toBe(good);
    }
  });

  it('converts scheduled / expiration to RFC 3339', () => {
    const e = ok(map('<rtEvent type="X" scheduled="2026-11-27 15:00:00.000Z" expiration="2026-11-28T01:30:00+01:00"/>')).event;
    expect(e.scheduled).toBe('2026-11-27T15:00:00.000Z');
    expect(e.expiration).toBe('2026-11-28T00:30:00.000Z');
    expect(message(map('<rtEvent type="X" scheduled="next tuesday"/>'))).toMatch(/attribute scheduled: "next tuesday" is not a date/);
  });

  it('puts emailFormat and a non-ARN registrationToken with the mobileApp uuid under ctx._adobe', () => {
    const e = ok(
      map('<rtEvent type="X" emailFormat="1" registrationToken="fcm-token-123"><mobileApp uuid="app-uuid-9"/><ctx><a>1</a></ctx></rtEvent>'),
    ).event;
    expect(e.push).toBeUndefined();
    expect(e.ctx).toEqual({ a: '1', _adobe: { emailFormat: 'text', registrationToken: 'fcm-token-123', mobileAppUuid: 'app-uuid-9' } });
    expect(ok(map('<rtEvent type="X" emailFormat="2"/>')).event.ctx).toEqual({ _adobe: { emailFormat: 'html' } });
    expect(ok(map('<rtEvent type="X" emailFormat="0"/>')).event.ctx).toBeUndefined();
    expect(message(map('<rtEvent type="X" emailFormat="3"/>'))).toMatch(/emailFormat/);
  });

  it('maps an SNS endpoint ARN registrationToken to push.snsEndpointArn', () => {
    const arn = 'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/shop/3f2a';
    const e = ok(map(`<rtEvent type="X" wishedChannel="42" registrationToken="${arn}"/>`)).event;
    expect(e.push).toEqual({ snsEndpointArn: arn });
    expect(e.ctx).toBeUndefined();
  });

  it('reserves ctx._adobe and refuses two ctx elements', () => {
    expect(message(map('<rtEvent type="X"><ctx><_adobe>1</_adobe></ctx></rtEvent>'))).toMatch(/reserved/);
    expect(message(map('<rtEvent type="X"><ctx/><ctx/></rtEvent>'))).toMatch(/more than one <ctx>/);
  });

  it('refuses an element that is not an event, and names the attribute for schema faults', () => {
    expect(message(map('<event type="X"/>'))).toMatch(/expected an rtEvent or batchEvent element, found <event>/);
    expect(message(map('<rtEvent type="X" language="not a locale"/>'))).toMatch(/^attribute language: /);
    expect(message(map(`<rtEvent type="X" mobilePhone="${'1'.repeat(40)}"/>`))).toMatch(/^attribute mobilePhone: /);
  });
});

describe('adobeDateToIso', () => {
  it.each([
    ['2026-11-27 15:00:00.000Z', '2026-11-27T15:00:00.000Z'],
    ['2026-11-27 15:00:00Z', '2026-11-27T15:00:00.000Z'],
    ['2026-11-27 15:00:00', '2026-11-27T15:00:00.000Z'],
    ['2026-11-27T15:00:00Z', '2026-11-27T15:00:00.000Z'],
    ['2026-11-27T15:00:00.123456Z', '2026-11-27T15:00:00.123Z'],
    ['2026-11-27T16:00:00+01:00', '2026-11-27T15:00:00.000Z'],
    ['2026-11-27T10:00:00-0500', '2026-11-27T15:00:00.000Z'],
    ['2026-11-27 15:00', '2026-11-27T15:00:00.000Z'],
    ['2026-11-27', '2026-11-27T00:00:00.000Z'],
  ])('%s → %s', (input, expected) => {
    expect(adobeDateToIso(input)).toBe(expected);
  });

  it.each(['2026-02-30 10:00:00', '2026-13-01', '2026-11-27 24:00:00', '27/11/2026', '2026-11-27 15:00:00+15:00', ''])(
    'refuses %s',
    (input) => {
      expect(adobeDateToIso(input)).toBeUndefined();
    },
  );

  it('produces what Date.parse reads back (the intake re-checks it)', () => {
    const iso = adobeDateToIso('2026-11-27 15:00:00.000Z')!;
    expect(new Date(Date.parse(iso)).toISOString()).toBe(iso);
  });
});
