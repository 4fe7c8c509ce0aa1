/**
 * A push service for tests: an HTTPS server (throwaway CA) that accepts Web Push requests
 * the way a browser vendor's service does (VAPID checked, RFC 8030 headers read) and then
 * plays the browser, decrypting each aes128gcm payload with the subscriber's private key.
 * Subscriptions it hands out are real ones: their keys are fresh P-256 pairs.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestCertificates, type TestCertificates } from './test-certificates';
import { createSubscriberKeys, decryptWebPush, type SubscriberKeys } from './web-push-decrypt';
import { verifyVapid, type VapidClaims } from './vapid-verify';
import { waitFor } from './wait-for';

export interface WebPushReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface ReceivedPush {
  subscriptionId: string;
  /** The decrypted payload, as text. */
  payload: string;
  /** The `TTL` header, in seconds. */
  ttl: number;
  urgency?: string;
  topic?: string;
  vapid: VapidClaims;
  /** The status this push was answered with. */
  status: number;
}

/** A push that never got as far as a decrypted payload, and why. */
export interface RejectedPush {
  path: string;
  status: number;
  reason: string;
}

export interface TestSubscription {
  id: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface SubscribeOptions {
  /** How to answer pushes to this subscription. @defaultValue 201 Created with a Location */
  reply?: WebPushReply | ((push: ReceivedPush) => WebPushReply);
}

export interface WebPushReceiverOptions {
  /** Accept only pushes signed with this VAPID public key (others get 403, as FCM does). */
  vapidPublicKey?: string;
}

export interface WebPushReceiver {
  /** `https://127.0.0.1:<port>`: the VAPID audience. */
  readonly origin: string;
  /** PEM of the CA that signed the server certificate (for an https.Agent `ca`). */
  readonly ca: string;
  /** File of the same CA, for `NODE_EXTRA_CA_CERTS` of a child process. */
  readonly caFile: string;
  readonly received: ReceivedPush[];
  readonly rejected: RejectedPush[];
  /** A fresh browser subscription on this push service. */
  subscribe(options?: SubscribeOptions): TestSubscription;
  /** The browser unsubscribed: later pushes get 410 Gone. */
  unsubscribe(id: string): void;
  waitForPushes(count: number, timeoutMs?: number): Promise<ReceivedPush[]>;
  close(): Promise<void>;
}

interface Subscriber {
  keys: SubscriberKeys;
  reply: SubscribeOptions['reply'];
  gone: boolean;
}

/** Push messages are limited to 4096 bytes of body (RFC 8030 §7.2). */
const MAX_BODY = 4096;

export async function startWebPushReceiver(options: WebPushReceiverOptions = {}): Promise<WebPushReceiver> {
  const certificates: TestCertificates = createTestCertificates();
  const subscribers = new Map<string, Subscriber>();
  const received: ReceivedPush[] = [];
  const rejected: RejectedPush[] = [];
  let origin = '';

  const server: Server = createServer({ key: certificates.key, cert: certificates.cert }, (req, res) => {
    void readBody(req).then((body) => {
      const path = req.url ?? '/';
      const answer = (reply: WebPushReply) => {
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body ?? '');
      };
      const reject = (status: number, reason: string) => {
        rejected.push({ path, status, reason });
        answer({ status, body: reason });
      };

      const id = /^\/push\/([\w-]+)$/.exec(path)?.[1];
      const subscriber = id ? subscribers.get(id) : undefined;
      if (req.method !== 'POST' || !id || !subscriber) return reject(404, 'no such subscription');
      if (subscriber.gone) return reject(410, 'subscription expired or unsubscribed');

      let vapid: VapidClaims;
      try {
        vapid = verifyVapid(header(req.headers, 'authorization'), origin);
      } catch (err) {
        return reject(401, (err as Error).message);
      }
      if (options.vapidPublicKey && vapid.publicKey !== options.vapidPublicKey) {
        return reject(403, 'VAPID key differs from the one the subscription was created with');
      }
      const ttl = Number(header(req.headers, 'ttl'));
      if (!Number.isInteger(ttl) || ttl < 0) return reject(400, 'TTL header missing or invalid');
      if (header(req.headers, 'content-encoding') !== 'aes128gcm') return reject(415, 'only aes128gcm is accepted');
      if (body.length > MAX_BODY) return reject(413, 'payload too large');

      let payload: string;
      try {
        payload = decryptWebPush(body, subscriber.keys).toString('utf8');
      } catch (err) {
        return reject(400, `cannot decrypt: ${(err as Error).message}`);
      }
      const urgency = header(req.headers, 'urgency');
      const topic = header(req.headers, 'topic');
      const push: ReceivedPush = {
        subscriptionId: id,
        payload,
        ttl,
        ...(urgency ? { urgency } : {}),
        ...(topic ? { topic } : {}),
        vapid,
        status: 201,
      };
      const configured = typeof subscriber.reply === 'function' ? subscriber.reply(push) : subscriber.reply;
      const reply = configured ?? { status: 201, headers: { Location: `${origin}/message/${randomUUID()}` } };
      push.status = reply.status;
      received.push(push);
      answer(reply);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    ca: certificates.ca,
    caFile: certificates.caFile,
    received,
    rejected,
    subscribe(subscribeOptions = {}) {
      const id = randomUUID();
      const keys = createSubscriberKeys();
      subscribers.set(id, { keys, reply: subscribeOptions.reply, gone: false });
      return { id, endpoint: `${origin}/push/${id}`, keys: { p256dh: keys.p256dh, auth: keys.auth } };
    },
    unsubscribe(id) {
      const subscriber = subscribers.get(id);
      if (subscriber) subscriber.gone = true;
    },
    waitForPushes: (count, timeoutMs = 5000) => waitFor(() => received, count, timeoutMs, 'pushes'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          certificates.cleanup();
          resolve();
        });
      }),
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
