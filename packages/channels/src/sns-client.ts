/**
 * Builds the SNS client both SNS providers use, configured for a queue that does its own
 * retrying: the SDK's retries are off so a throttled or failed publish comes straight back
 * as an outcome, and timeouts are bounded so a hung connection does not hold a worker slot.
 */
import { SNSClient } from '@aws-sdk/client-sns';

export interface SnsClientOptions {
  region: string;
  /** Endpoint override (`SNS_ENDPOINT`), e.g. a local SNS-compatible service. */
  endpoint?: string;
  /** Static credentials; omitted, the SDK's default chain (env, profile, instance role) applies. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** @defaultValue 5 000 */
  connectionTimeoutMs?: number;
  /** @defaultValue 15 000 */
  requestTimeoutMs?: number;
  /**
   * The whole of one Publish, answer included (SEND_TIMEOUT_MS): `requestTimeoutMs` is socket
   * inactivity, which a slow trickle never trips. @defaultValue 10 000
   */
  sendTimeoutMs?: number;
}

/** Options for `client.send`: aborts a Publish that takes longer than `sendTimeoutMs`. */
export function publishOptions(options: SnsClientOptions): { abortSignal: AbortSignal } {
  return { abortSignal: AbortSignal.timeout(options.sendTimeoutMs ?? 10_000) };
}

export function createSnsClient(options: SnsClientOptions): SNSClient {
  return new SNSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 5_000,
      requestTimeout: options.requestTimeoutMs ?? 15_000,
      throwOnRequestTimeout: true,
    },
  });
}
