import { classifySnsError } from './classify-sns-error';

const awsError = (name: string, fault: 'client' | 'server', status: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`${name} message`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
    $response: { statusCode: status, headers },
  });

describe('classifySnsError', () => {
  it.each([
    ['Throttling', 400, 'rate-limited'],
    ['ThrottledException', 429, 'rate-limited'],
    ['TooManyRequestsException', 429, 'rate-limited'],
    ['KMSThrottlingException', 400, 'rate-limited'],
    ['InvalidParameterException', 400, 'permanent'],
    ['InvalidParameterValueException', 400, 'permanent'],
    ['ValidationException', 400, 'permanent'],
    ['EndpointDisabledException', 400, 'address-invalid'],
    ['OptedOutException', 400, 'address-invalid'],
    ['NotFoundException', 404, 'permanent'],
    ['AuthorizationErrorException', 403, 'transient'],
    ['PlatformApplicationDisabledException', 400, 'transient'],
    ['InvalidClientTokenId', 403, 'transient'],
  ])('%s (%d) → %s', (name, status, expected) => {
    expect(classifySnsError('sns', awsError(name, status >= 500 ? 'server' : 'client', status)).kind).toBe(expected);
  });

  it.each(['InternalErrorException', 'ServiceUnavailable', 'SomethingNew'])('%s as a 5xx server fault → transient', (name) => {
    expect(classifySnsError('sns', awsError(name, 'server', 503)).kind).toBe('transient');
  });

  it('treats NotFound as a gone endpoint only when asked (push endpoints)', () => {
    expect(classifySnsError('sns-push', awsError('NotFoundException', 'client', 404), { notFoundIsAddressInvalid: true }).kind).toBe('address-invalid');
  });

  it('takes the delay from Retry-After, else a default', () => {
    expect(classifySnsError('sns', awsError('Throttling', 'client', 400, { 'retry-after': '4' }))).toMatchObject({ retryAfterMs: 4000 });
    expect(classifySnsError('sns', awsError('Throttling', 'client', 400))).toMatchObject({ retryAfterMs: 1000 });
    expect(classifySnsError('sns', awsError('InternalError', 'server', 503, { 'Retry-After': '2' }))).toMatchObject({ kind: 'transient', retryAfterMs: 2000 });
  });

  it('is transient for network failures that never reached SNS', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
    expect(classifySnsError('sns', refused)).toEqual({ kind: 'transient', provider: 'sns', error: 'connect ECONNREFUSED 127.0.0.1:443' });
    expect(classifySnsError('sns', Object.assign(new Error('timed out'), { name: 'TimeoutError' })).kind).toBe('transient');
  });
});
