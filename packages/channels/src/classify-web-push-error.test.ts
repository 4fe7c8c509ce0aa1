import { classifyWebPushError } from './classify-web-push-error';

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
});
