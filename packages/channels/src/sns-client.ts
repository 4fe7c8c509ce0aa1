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
