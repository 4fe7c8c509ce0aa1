/**
 * Classifies a failed SNS `Publish` (AWS SDK v3 error) for both SMS and mobile push. The SDK
 * names an error after its AWS error code (`Throttling`) or the modelled exception
 * (`ThrottledException`), so both spellings are matched.
 */
import type { SendOutcome } from './provider';
import { errorText } from './error-text';
import { DEFAULT_RETRY_AFTER_MS, parseRetryAfter } from './retry-after';

/** The parts of an AWS SDK error that classification reads. */
export interface AwsErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

const RATE_LIMITED = new Set([
  'Throttling',
  'ThrottlingException',
  'Throttled',
  'ThrottledException',
  'TooManyRequests',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'KMSThrottling',
  'KMSThrottlingException',
]);

/** The target will never accept messages again: suppress it. */
const ADDRESS_INVALID = new Set([
  'EndpointDisabled',
  'EndpointDisabledException',
  'OptedOut',
  'OptedOutException',
]);

/**
 * Account or configuration trouble (credentials, KMS, a disabled platform application): the
 * message is fine and an operator can fix the cause, so keep retrying rather than fail
 * every queued message for good.
 */
const SETUP_PROBLEMS = new Set([
  'AuthorizationError',
  'AuthorizationErrorException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidSecurity',
  'InvalidSecurityException',
  'PlatformApplicationDisabled',
  'PlatformApplicationDisabledException',
  'KMSAccessDenied',
  'KMSAccessDeniedException',
  'KMSDisabled',
  'KMSDisabledException',
  'KMSInvalidState',
  'KMSInvalidStateException',
  'KMSNotFound',
  'KMSNotFoundException',
  'KMSOptInRequired',
]);

/** SNS itself is unwell, or its answer never came back. */
const SERVICE_TROUBLE = new Set([
  'InternalError',
  'InternalErrorException',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'AbortError',
]);

export interface ClassifySnsOptions {
  /** Treat `NotFound` as a gone target: true for a push endpoint ARN that was deleted. */
  notFoundIsAddressInvalid?: boolean;
}

export function classifySnsError(provider: string, err: unknown, options: ClassifySnsOptions = {}): SendOutcome {
  const e = (err ?? {}) as AwsErrorLike;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const named = name !== '' && name !== 'Error' && e.message !== undefined && !e.message.startsWith(name);
  const error = errorText(named ? `${name}: ${e.message}` : err);

  if (RATE_LIMITED.has(name) || status === 429) {
    const retryAfterMs = parseRetryAfter(header(e, 'retry-after')) ?? DEFAULT_RETRY_AFTER_MS;
    return { kind: 'rate-limited', provider, error, retryAfterMs };
  }
  if (ADDRESS_INVALID.has(name)) return { kind: 'address-invalid', provider, error };
  if (options.notFoundIsAddressInvalid && (name === 'NotFound' || name === 'NotFoundException')) {
    return { kind: 'address-invalid', provider, error };
  }
  const serverSide = SERVICE_TROUBLE.has(name) || e.$fault === 'server' || (status !== undefined && status >= 500);
  if (SETUP_PROBLEMS.has(name) || serverSide) return { kind: 'transient', provider, error, ...retryAfter(e) };
  // A client fault with an answer from SNS (InvalidParameter, ParameterValueInvalid,
  // ValidationException, ...) is about this request and will be refused again.
  if (e.$fault === 'client' || (status !== undefined && status >= 400)) return { kind: 'permanent', provider, error };
  // No answer from SNS at all (ECONNREFUSED, ECONNRESET, DNS): the network, not the message.
  return { kind: 'transient', provider, error };
}

function header(e: AwsErrorLike, name: string): string | undefined {
  const headers = e.$response?.headers;
  if (!headers) return undefined;
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

function retryAfter(e: AwsErrorLike): { retryAfterMs?: number } {
  const ms = parseRetryAfter(header(e, 'retry-after'));
  return ms === undefined ? {} : { retryAfterMs: ms };
}
