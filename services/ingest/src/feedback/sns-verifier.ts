/**
 * Verifies Amazon SNS HTTP(S) messages: the signature is the only credential of the SNS
 * intake. Checked with sns-payload-validator (which also refuses certificates that are not
 * at `https://sns.<region>.amazonaws.com/SimpleNotificationService-<id>.pem`), after the
 * cheap checks — shape, known type, allowed topic — so nothing is downloaded for a message
 * we would refuse anyway. Subscription confirmations are followed only to an SNS host.
 *
 * Downloads (the signing certificate, the SubscribeURL) go through one https.Agent with a
 * socket timeout; tests pass an agent of their own that reaches a local server instead.
 */
import https, { type Agent } from 'node:https';
import type { RequestOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import SnsPayloadValidator from 'sns-payload-validator';
import { DomainError } from '@mc/core';

export interface SnsMessage {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Message: string;
  SubscribeURL?: string;
}

export interface SnsVerifierOptions {
  /** Topics whose messages are accepted (FEEDBACK_SNS_TOPIC_ARNS). */
  topicArns: readonly string[];
  /** Carries the certificate and SubscribeURL requests. @defaultValue an agent with `timeoutMs` */
  agent?: Agent;
  /** Longest a download may stall. @defaultValue 5000 */
  timeoutMs?: number;
}

const TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'];
/** The validator's own rule, repeated only to say plainly why a message is refused. */
const CERT_URL = /^https:\/\/sns\.[a-zA-Z0-9-]{3,}\.amazonaws\.com(\.cn)?\/SimpleNotificationService-[a-zA-Z0-9]{32}\.pem$/;
const SNS_HOST = /^sns\.[a-z0-9-]{3,}\.amazonaws\.com(\.cn)?$/;

/** An https.Agent whose sockets give up after `timeoutMs` of silence (the validator sets no timeout). */
export class TimeoutAgent extends https.Agent {
  constructor(private readonly timeoutMs: number) {
    super({ keepAlive: false });
  }

  override createConnection(options: RequestOptions, callback?: (error: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const socket = super.createConnection(options, callback) as Socket | null | undefined;
    socket?.setTimeout(this.timeoutMs, () => socket.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
    return socket;
  }
}

export class SnsVerifier {
  private readonly agent: Agent;
  private readonly validator: SnsPayloadValidator;
  private readonly topics: ReadonlySet<string>;
  private readonly timeoutMs: number;

  constructor(options: SnsVerifierOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.agent = options.agent ?? new TimeoutAgent(this.timeoutMs);
    this.validator = new SnsPayloadValidator({ requestAgent: this.agent, maxCerts: 100 });
    this.topics = new Set(options.topicArns);
  }

  /** The message when it is well formed, from an allowed topic and signed by SNS; else a DomainError. */
  async verify(body: unknown): Promise<SnsMessage> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new DomainError('validation', 'The body is not an SNS message (a JSON object).', [{ path: 'body', message: 'must be a JSON object' }]);
    }
    const message = body as Record<string, unknown>;
    const missing = ['Type', 'MessageId', 'TopicArn', 'Signature', 'SignatureVersion', 'SigningCertURL'].filter((key) => typeof message[key] !== 'string');
    if (missing.length > 0) {
      throw new DomainError('validation', `The SNS message lacks ${missing.join(', ')}.`, missing.map((key) => ({ path: `body/${key}`, message: 'is required (a string)' })));
    }
    if (!TYPES.includes(message['Type'] as string)) {
      throw new DomainError('validation', `Unknown SNS message type "${String(message['Type'])}".`, [{ path: 'body/Type', message: `must be one of ${TYPES.join(', ')}` }]);
    }
    if (!this.topics.has(message['TopicArn'] as string)) {
      throw new DomainError(
        'forbidden',
        this.topics.size === 0
          ? 'No SNS topic is accepted: FEEDBACK_SNS_TOPIC_ARNS is not set.'
          : `The topic ${String(message['TopicArn'])} is not in FEEDBACK_SNS_TOPIC_ARNS.`,
      );
    }
    if (!CERT_URL.test(message['SigningCertURL'] as string)) {
      throw new DomainError('unauthorized', 'The signing certificate is not an Amazon SNS certificate URL; the message is not verified.');
    }
    try {
      await withTimeout(this.validator.validate(message as never), this.timeoutMs * 2);
    } catch (error) {
      throw new DomainError('unauthorized', `The SNS signature does not verify: ${(error as Error).message}.`);
    }
    return message as unknown as SnsMessage;
  }

  /** Confirms a subscription by fetching its SubscribeURL, which must be on an SNS host. */
  async confirm(message: SnsMessage): Promise<void> {
    let url: URL;
    try {
      url = new URL(message.SubscribeURL ?? '');
    } catch {
      throw new DomainError('validation', 'The subscription confirmation has no valid SubscribeURL.', [{ path: 'body/SubscribeURL', message: 'must be a URL' }]);
    }
    if (url.protocol !== 'https:' || !SNS_HOST.test(url.hostname) || url.port !== '') {
      throw new DomainError('unprocessable', `The SubscribeURL host ${url.hostname} is not sns.<region>.amazonaws.com; the subscription is not confirmed.`);
    }
    const status = await withTimeout(
      new Promise<number>((resolve, reject) => {
        https
          .get(url, { agent: this.agent }, (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          })
          .on('error', reject);
      }),
      this.timeoutMs * 2,
    ).catch((error: Error) => {
      throw new DomainError('unavailable', `Confirming the subscription failed: ${error.message}`);
    });
    if (status < 200 || status >= 300) throw new DomainError('unavailable', `Confirming the subscription failed: SNS answered ${status}.`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
