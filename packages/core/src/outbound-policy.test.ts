import {
  DEFAULT_OUTBOUND_POLICY,
  allowPrivateEntryProblem,
  checkOutboundUrl,
  checkPushEndpoint,
  isExemptDestination,
  outboundAddressRefusal,
  pushEndpointCheck,
  pushHostEntryProblem,
  type OutboundPolicy,
} from './outbound-policy';

const none = DEFAULT_OUTBOUND_POLICY;

describe('checkPushEndpoint (the door check)', () => {
  it.each([
    ['https://127.0.0.1:1/push', 'Refused by the outbound policy: 127.0.0.1 is a loopback address'],
    ['https://127.0.0.1:5432/', 'Refused by the outbound policy: 127.0.0.1 is a loopback address'],
    ['https://169.254.169.254/', 'Refused by the outbound policy: 169.254.169.254 is a link-local address'],
    ['https://10.0.0.1/push', 'Refused by the outbound policy: 10.0.0.1 is a private address'],
    ['https://100.64.1.2/push', 'Refused by the outbound policy: 100.64.1.2 is a shared (CGNAT, 100.64.0.0/10) address'],
    ['https://[::1]:8443/push', 'Refused by the outbound policy: ::1 is a loopback address'],
    ['https://[::ffff:127.0.0.1]/push', 'Refused by the outbound policy: ::ffff:7f00:1 is a loopback address (it carries IPv4 127.0.0.1)'],
    ['https://[fd00::1]/push', 'Refused by the outbound policy: fd00::1 is a private address'],
    ['https://[fe80::1]/push', 'Refused by the outbound policy: fe80::1 is a link-local address'],
    ['https://0.0.0.0/push', 'Refused by the outbound policy: 0.0.0.0 is an unspecified address'],
    ['https://224.0.0.1/push', 'Refused by the outbound policy: 224.0.0.1 is a multicast address'],
    ['https://255.255.255.255/push', 'Refused by the outbound policy: 255.255.255.255 is a broadcast address'],
    // The URL parser normalizes the other ways of writing 127.0.0.1 before the check sees them.
    ['https://2130706433/push', 'Refused by the outbound policy: 127.0.0.1 is a loopback address'],
    ['https://0x7f.1/push', 'Refused by the outbound policy: 127.0.0.1 is a loopback address'],
    ['https://localhost:8443/push', 'Refused by the outbound policy: localhost is a loopback name'],
    ['https://api.localhost/push', 'Refused by the outbound policy: api.localhost is a loopback name'],
    ['http://fcm.googleapis.com/fcm/send/x', 'Refused by the outbound policy: http is not allowed, the URL must be https'],
    ['ftp://fcm.googleapis.com/x', 'Refused by the outbound policy: ftp is not allowed, the URL must be https'],
    ['not a url', 'Refused by the outbound policy: the endpoint is not a URL'],
  ])('%s → %s', (url, reason) => {
    expect(checkPushEndpoint(url, none)).toBe(reason);
  });

  it.each(['https://fcm.googleapis.com/fcm/send/abc', 'https://updates.push.services.mozilla.com/wpush/v2/x', 'https://8.8.8.8/push', 'https://[2a00:1450::1]/p'])(
    'lets %s through',
    (url) => expect(checkPushEndpoint(url, none)).toBeUndefined(),
  );

  it('exempts hosts, addresses and CIDR blocks named in OUTBOUND_ALLOW_PRIVATE', () => {
    const policy: OutboundPolicy = { allowPrivate: ['127.0.0.1', '10.0.0.0/8', 'push.internal', 'fd00::/8', 'localhost'] };
    expect(checkPushEndpoint('https://127.0.0.1:9443/push', policy)).toBeUndefined();
    expect(checkPushEndpoint('https://[::ffff:127.0.0.1]/push', policy)).toBeUndefined();
    expect(checkPushEndpoint('https://10.20.30.40/push', policy)).toBeUndefined();
    expect(checkPushEndpoint('https://[fd12::1]/push', policy)).toBeUndefined();
    expect(checkPushEndpoint('https://localhost/push', policy)).toBeUndefined();
    expect(checkPushEndpoint('https://PUSH.internal./push', policy)).toBeUndefined();
    // Only what is named: the rest of loopback and other private ranges stay refused.
    expect(checkPushEndpoint('https://127.0.0.2/push', policy)).toMatch(/127\.0\.0\.2 is a loopback address/);
    expect(checkPushEndpoint('https://192.168.1.1/push', policy)).toMatch(/private/);
    expect(checkPushEndpoint('https://[::1]/push', policy)).toMatch(/loopback/);
    // Web push stays https even to an exempted host.
    expect(checkPushEndpoint('http://127.0.0.1:9443/push', policy)).toMatch(/must be https/);
  });

  it('narrows push endpoints to PUSH_ENDPOINT_HOSTS when set, *.domain matching names under it', () => {
    const policy: OutboundPolicy = { allowPrivate: [], pushEndpointHosts: ['fcm.googleapis.com', '*.push.services.mozilla.com', '*.notify.windows.com'] };
    expect(checkPushEndpoint('https://fcm.googleapis.com/fcm/send/x', policy)).toBeUndefined();
    expect(checkPushEndpoint('https://updates.push.services.mozilla.com/wpush/v2/x', policy)).toBeUndefined();
    expect(checkPushEndpoint('https://a.b.notify.windows.com/w/?token=x', policy)).toBeUndefined();
    expect(checkPushEndpoint('https://push.services.mozilla.com/x', policy)).toBe(
      'Refused by the outbound policy: push.services.mozilla.com is not a push service listed in PUSH_ENDPOINT_HOSTS',
    );
    expect(checkPushEndpoint('https://evilpush.services.mozilla.com.evil.example/x', policy)).toMatch(/PUSH_ENDPOINT_HOSTS/);
    expect(checkPushEndpoint('https://notfcm.googleapis.com/x', policy)).toMatch(/PUSH_ENDPOINT_HOSTS/);
    expect(checkPushEndpoint('https://8.8.8.8/x', policy)).toMatch(/PUSH_ENDPOINT_HOSTS/);
  });

  it('binds a policy for the intake hook', () => {
    const check = pushEndpointCheck({ allowPrivate: ['127.0.0.1'] });
    expect(check('https://127.0.0.1:1/x')).toBeUndefined();
    expect(check('https://10.0.0.1/x')).toMatch(/private/);
  });
});

describe('checkOutboundUrl (webhooks)', () => {
  it('allows plain http only to exempted destinations when asked', () => {
    const policy: OutboundPolicy = { allowPrivate: ['hooks.internal'] };
    expect(checkOutboundUrl('http://hooks.internal/x', policy, { httpWhenExempt: true })).toBeUndefined();
    expect(checkOutboundUrl('http://hooks.example.com/x', policy, { httpWhenExempt: true })).toMatch(/must be https/);
    expect(checkOutboundUrl('http://hooks.internal/x', policy)).toMatch(/must be https/);
    // PUSH_ENDPOINT_HOSTS is for push endpoints only.
    expect(checkOutboundUrl('https://hooks.example.com/x', { allowPrivate: [], pushEndpointHosts: ['fcm.googleapis.com'] })).toBeUndefined();
  });
});

describe('outboundAddressRefusal (when connecting)', () => {
  it('judges the address a name resolved to, and says which name', () => {
    expect(outboundAddressRefusal(none, 'push.example.com', '127.0.0.1')).toBe(
      'Refused by the outbound policy: push.example.com resolves to 127.0.0.1, a loopback address',
    );
    expect(outboundAddressRefusal(none, 'push.example.com', '::ffff:10.0.0.1')).toMatch(/private address \(it carries IPv4 10\.0\.0\.1\)/);
    expect(outboundAddressRefusal(none, '169.254.169.254', '169.254.169.254')).toBe(
      'Refused by the outbound policy: 169.254.169.254 is a link-local address',
    );
    expect(outboundAddressRefusal(none, 'fcm.googleapis.com', '142.250.74.106')).toBeUndefined();
  });

  it('exempts by name (whatever it resolves to) or by address', () => {
    expect(outboundAddressRefusal({ allowPrivate: ['push.internal'] }, 'push.internal', '10.1.1.1')).toBeUndefined();
    expect(outboundAddressRefusal({ allowPrivate: ['10.1.0.0/16'] }, 'anything.example', '10.1.1.1')).toBeUndefined();
    expect(outboundAddressRefusal({ allowPrivate: ['10.1.0.0/16'] }, 'anything.example', '::ffff:10.1.1.1')).toBeUndefined();
    expect(outboundAddressRefusal({ allowPrivate: ['10.1.0.0/16'] }, 'anything.example', '10.2.1.1')).toMatch(/private/);
    expect(isExemptDestination({ allowPrivate: ['::1'] }, '[::1]')).toBe(true);
  });
});

describe('config entries', () => {
  it.each(['127.0.0.1', '::1', '10.0.0.0/8', 'fd00::/8', 'push.internal', 'localhost', 'Push-Gateway.corp.example'])('OUTBOUND_ALLOW_PRIVATE accepts %s', (entry) => {
    expect(allowPrivateEntryProblem(entry)).toBeUndefined();
  });
  it.each(['10.0.0.1/8', '10.0.0.0/40', 'http://x', 'a b', '*.example.com', '-x.example'])('OUTBOUND_ALLOW_PRIVATE refuses %s', (entry) => {
    expect(allowPrivateEntryProblem(entry)).toEqual(expect.any(String));
  });
  it.each(['fcm.googleapis.com', '*.push.services.mozilla.com'])('PUSH_ENDPOINT_HOSTS accepts %s', (entry) => {
    expect(pushHostEntryProblem(entry)).toBeUndefined();
  });
  it.each(['*', '*.', 'https://fcm.googleapis.com', 'a*.example.com', 'fcm.googleapis.com/x'])('PUSH_ENDPOINT_HOSTS refuses %s', (entry) => {
    expect(pushHostEntryProblem(entry)).toEqual(expect.any(String));
  });
});
