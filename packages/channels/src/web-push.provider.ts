/**
 * Browser push (Web Push, RFC 8030) through the `web-push` library: the payload is encrypted
 * for the subscription (aes128gcm, RFC 8291) and the request signed with our VAPID key
 * (RFC 8292), then POSTed to the browser vendor's push service.
 */
import { randomUUID } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import { sendNotification } from 'web-push';
import { checkPushEndpoint, DEFAULT_OUTBOUND_POLICY, type OutboundPolicy } from '@mc/core';
import { createOutboundAgent } from './outbound-agent';
import type { Provider, PushMessage, SendOutcome, WebPushSubscription } from './provider';
import { classifyWebPushError } from './classify-web-push-error';

export interface VapidDetails {
  /** URL-safe base64 of the uncompressed P-256 public key (65 bytes). */
  publicKey: string;
  /** URL-safe base64 of the P-256 private key (32 bytes). */
  privateKey: string;
  /** `mailto:` or `https:` contact the push service can reach us at. */
  subject: string;
}

export interface WebPushProviderOptions {
  vapid: VapidDetails;
  /**
   * Where endpoints may lead (config.outbound): checked on the URL before sending and again by
   * the connection on the resolved address. @defaultValue no exemptions, any public host
   */
  outbound?: OutboundPolicy;
  /**
   * CA to trust instead of the system store (plus `NODE_EXTRA_CA_CERTS`), which production
   * uses. Tests give their throwaway CA; TLS verification is never turned off.
   */
  ca?: string | string[];
  /** Host name resolver. @defaultValue `dns.lookup`; tests give one resolving to private addresses. */
  lookup?: LookupFunction;
  /** Used when the message has no TTL of its own. @defaultValue 86 400 (one day) */
  defaultTtlSeconds?: number;
  /** Socket inactivity limit per request. @defaultValue 15 000 */
  timeoutMs?: number;
  /** @defaultValue `web-push` */
  name?: string;
}

/**
 * A push record is at most 4096 bytes (RFC 8291 §4); aes128gcm costs 86 bytes of header,
 * 16 of tag and 1 padding delimiter, leaving this much for our JSON.
 */
export const MAX_WEB_PUSH_PAYLOAD_BYTES = 4096 - 86 - 16 - 1;

export function createWebPushProvider(options: WebPushProviderOptions): Provider<PushMessage> {
  const name = options.name ?? 'web-push';
  const vapidDetails = checkVapid(options.vapid);
  const outbound = options.outbound ?? DEFAULT_OUTBOUND_POLICY;
  // Every request goes through this agent: it applies the outbound policy when connecting.
  const agent = createOutboundAgent({ policy: outbound, pushEndpoints: true, ca: options.ca, lookup: options.lookup });

  return {
    name,
    channel: 'push',
    async send(push: PushMessage): Promise<SendOutcome> {
      if (push.target.kind !== 'web-push') {
        throw new Error(`${name}: cannot send to a ${push.target.kind} target`);
      }
      const subscription = push.target.subscription;
      // Refused by policy: permanent (the same answer every time) but no verdict on the address.
      const refused = checkPushEndpoint(subscription.endpoint, outbound);
      if (refused) return { kind: 'permanent', provider: name, error: refused };
      const problem = subscriptionProblem(subscription);
      // A stored subscription that cannot be encrypted for will never work: suppress it.
      if (problem) return { kind: 'address-invalid', provider: name, error: problem };

      const payload = JSON.stringify({ title: push.title, body: push.body, url: push.url, icon: push.icon, data: push.data });
      const size = Buffer.byteLength(payload);
      if (size > MAX_WEB_PUSH_PAYLOAD_BYTES) {
        return { kind: 'permanent', provider: name, error: `payload is ${size} bytes, Web Push allows ${MAX_WEB_PUSH_PAYLOAD_BYTES}` };
      }
      try {
        const result = await sendNotification(subscription, payload, {
          vapidDetails,
          contentEncoding: 'aes128gcm',
          TTL: push.ttlSeconds ?? options.defaultTtlSeconds ?? 86_400,
          urgency: push.urgency ?? 'normal',
          timeout: options.timeoutMs ?? 15_000,
          agent,
        });
        // RFC 8030 §5: the Location header names the push message resource.
        const location = result.headers.location ?? result.headers.Location;
        return { kind: 'sent', provider: name, providerMessageId: location || `web-push:${randomUUID()}` };
      } catch (err) {
        return classifyWebPushError(name, err);
      }
    },
    async close(): Promise<void> {
      agent.destroy();
    },
  };
}

/** Bad VAPID settings would fail every send; refuse them at start-up instead. */
function checkVapid(vapid: VapidDetails): VapidDetails {
  if (decode(vapid.publicKey)?.length !== 65) throw new Error('VAPID public key must be 65 bytes of URL-safe base64');
  if (decode(vapid.privateKey)?.length !== 32) throw new Error('VAPID private key must be 32 bytes of URL-safe base64');
  if (!/^(mailto:|https:\/\/)/.test(vapid.subject)) throw new Error('VAPID subject must be a mailto: or https: URL');
  return { ...vapid };
}

function subscriptionProblem(subscription: WebPushSubscription): string | undefined {
  let endpoint: URL;
  try {
    endpoint = new URL(subscription.endpoint);
  } catch {
    return 'subscription endpoint is not a URL';
  }
  if (endpoint.protocol !== 'https:') return 'subscription endpoint is not https';
  const p256dh = decode(subscription.keys?.p256dh);
  if (p256dh?.length !== 65 || p256dh[0] !== 0x04) return 'subscription p256dh is not an uncompressed P-256 public key';
  const auth = decode(subscription.keys?.auth);
  if (auth?.length !== 16) return 'subscription auth secret is not 16 bytes';
  return undefined;
}

function decode(value: string | undefined): Buffer | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_-]+={0,2}$/.test(value) ? Buffer.from(value, 'base64url') : undefined;
}
