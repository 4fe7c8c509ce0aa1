import { classifyWebPushError } from './classify-web-push-error';
import { OutboundPolicyError } from './outbound-agent';

const answered = (statusCode: number, headers: Record<string, string> = {}, body = '') =>
  Object.assign(new Error('Received unexpected response code'), { statusCode, headers, body });

describe('classifyWebPushError', () => {
  it.each([
    [404, 'address-invalid'],
    [410, 'address-invalid'],
    [413, 'permanent'],
    [400, 'permanent'],
    [401, 'permanent'],
    [403, 'permanent'],
    [408, 'transient'],
    [429, 'rate-limited'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
  ])('%d → %s', (status, expected) => {
    expect(classifyWebPushError('web-push', answered(status)).kind).toBe(expected);
  });

  it('honours Retry-After on 429 (seconds or date) and 503', () => {
    expect(classifyWebPushError('wp', answered(429, { 'retry-after': '60' }))).toMatchObject({ kind: 'rate-limited', retryAfterMs: 60_000 });
    const date = new Date(Date.now() + 10_000).toUTCString();
    const byDate = classifyWebPushError('wp', answered(429, { 'retry-after': date }));
    expect(byDate.kind === 'rate-limited' && byDate.retryAfterMs).toBeGreaterThan(8_000);
    expect(classifyWebPushError('wp', answered(429))).toMatchObject({ retryAfterMs: 1000 });
    expect(classifyWebPushError('wp', answered(503, { 'retry-after': '5' }))).toMatchObject({ kind: 'transient', retryAfterMs: 5000 });
  });

  it('puts the status and the service body in the error', () => {
    expect(classifyWebPushError('wp', answered(410, {}, 'push subscription has unsubscribed or expired.\n'))).toEqual({
      kind: 'address-invalid',
      provider: 'wp',
      error: 'push service answered 410: push subscription has unsubscribed or expired.',
    });
  });

  it('is transient for network and TLS errors', () => {
    expect(classifyWebPushError('wp', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).kind).toBe('transient');
    expect(classifyWebPushError('wp', new Error('Socket timeout')).kind).toBe('transient');
  });

  it('records a category, never the network error, when no answer came (no port scanner)', () => {
    const failed = (code: string, message: string) => classifyWebPushError('wp', Object.assign(new Error(message), { code }));
    expect(failed('ECONNREFUSED', 'connect ECONNREFUSED 203.0.113.5:5432')).toEqual({
      kind: 'transient',
      provider: 'wp',
      error: 'the push service could not be reached',
    });
    expect(failed('ECONNRESET', 'socket hang up')).toMatchObject({ error: 'the push service could not be reached' });
    expect(failed('EHOSTUNREACH', 'connect EHOSTUNREACH 203.0.113.5:22')).toMatchObject({ error: 'the push service could not be reached' });
    expect(failed('ENOTFOUND', 'getaddrinfo ENOTFOUND push.example')).toMatchObject({ error: "the push service's host name could not be resolved" });
    expect(failed('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate')).toMatchObject({
      error: "the push service's TLS certificate could not be verified",
    });
    expect(failed('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames")).toMatchObject({
      error: "the push service's TLS certificate could not be verified",
    });
    expect(classifyWebPushError('wp', new Error('Socket timeout'))).toMatchObject({ error: 'the push service did not answer in time' });
  });

  it('is permanent, naming the policy, when the outbound policy refused the connection', () => {
    const refused = new OutboundPolicyError('Refused by the outbound policy: 127.0.0.1 is a loopback address');
    expect(classifyWebPushError('wp', refused)).toEqual({
      kind: 'permanent',
      provider: 'wp',
      error: 'Refused by the outbound policy: 127.0.0.1 is a loopback address',
    });
  });
});
