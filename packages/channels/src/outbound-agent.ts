/**
 * The HTTPS agent for requests to URLs someone else gave us (web-push endpoints): it applies
 * the outbound policy when connecting, not only when the URL was accepted. A host name is
 * checked on the addresses it resolves to at that moment (so a name that resolved to a public
 * address at the door and to 127.0.0.1 now — DNS rebinding — is still refused), and a literal
 * address is checked before connecting, because Node does not call `lookup` for one.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent, type AgentOptions } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_OUTBOUND_POLICY, normalizeHost, outboundAddressRefusal, outboundHostRefusal, OUTBOUND_REFUSAL_PREFIX, parseIp, type OutboundPolicy } from '@mc/core';

/** A connection the outbound policy refused; `message` is the sentence to record. */
export class OutboundPolicyError extends Error {
  override readonly name = 'OutboundPolicyError';
  readonly code = 'EOUTBOUNDPOLICY';
}

export function isOutboundPolicyError(err: unknown): err is OutboundPolicyError {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EOUTBOUNDPOLICY';
}

export interface OutboundAgentOptions {
  /** @defaultValue no exemptions, any public host */
  policy?: OutboundPolicy;
  /** Apply the policy's PUSH_ENDPOINT_HOSTS list to every host this agent connects to. */
  pushEndpoints?: boolean;
  /**
   * CA certificates to trust instead of the system store. Production leaves it unset (the
   * system CAs plus `NODE_EXTRA_CA_CERTS`); tests trust their throwaway CA. TLS verification
   * is never turned off.
   */
  ca?: string | Buffer | (string | Buffer)[];
  /**
   * Resolves host names. @defaultValue `dns.lookup` (the system resolver, as Node uses).
   * Tests give their own to make a name resolve to a private address.
   */
  lookup?: LookupFunction;
  /** @defaultValue true */
  keepAlive?: boolean;
}

type ConnectOptions = Parameters<Agent['createConnection']>[0];
type ConnectCallback = NonNullable<Parameters<Agent['createConnection']>[1]>;

class OutboundAgent extends Agent {
  constructor(
    private readonly policy: OutboundPolicy,
    private readonly pushEndpoints: boolean,
    private readonly resolve: LookupFunction,
    options: AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: ConnectOptions, callback?: ConnectCallback): Duplex | null | undefined {
    const host = String(options.host ?? options.hostname ?? 'localhost');
    const refused = this.hostRefusal(host);
    if (refused) {
      // Returning nothing makes the agent wait for the callback, which fails the request.
      process.nextTick(() => callback?.(new OutboundPolicyError(refused), undefined as never));
      return undefined;
    }
    return super.createConnection({ ...options, lookup: this.guardedLookup(host) } as ConnectOptions, callback);
  }

  private hostRefusal(host: string): string | undefined {
    // Node connects to anything `isIP` accepts without a lookup; an address form our parser
    // cannot judge (an IPv6 zone index) is refused rather than let through.
    if (isIP(host) !== 0 && !parseIp(host)) return `${OUTBOUND_REFUSAL_PREFIX}: ${host} is not an address it can judge`;
    return outboundHostRefusal(this.policy, host, { pushEndpoint: this.pushEndpoints });
  }

  /** Resolves every address of the name and refuses the connection if any is not allowed. */
  private guardedLookup(host: string): LookupFunction {
    const name = normalizeHost(host);
    return (hostname: string, options: LookupOptions, callback) => {
      this.resolve(hostname, { ...options, all: true }, (err, found) => {
        if (err) return callback(err, '');
        const addresses: LookupAddress[] = Array.isArray(found) ? found : [{ address: found, family: isIP(found) }];
        if (addresses.length === 0) {
          return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
        }
        for (const { address } of addresses) {
          const refused = outboundAddressRefusal(this.policy, name, address);
          if (refused) return callback(new OutboundPolicyError(refused), '');
        }
        if (options.all) return callback(null, addresses);
        const first = addresses[0]!;
        return callback(null, first.address, first.family);
      });
    };
  }
}

export function createOutboundAgent(options: OutboundAgentOptions = {}): Agent {
  return new OutboundAgent(options.policy ?? DEFAULT_OUTBOUND_POLICY, options.pushEndpoints ?? false, options.lookup ?? (dnsLookup as LookupFunction), {
    keepAlive: options.keepAlive ?? true,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  });
}
