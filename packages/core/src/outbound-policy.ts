/**
 * The outbound policy: the rules for every URL the system reaches because someone else named
 * it (web-push endpoints today, webhook URLs later). Such a URL must not turn the worker into
 * a probe of its own network, so it must be https and lead to a public address; destinations
 * the operator names in OUTBOUND_ALLOW_PRIVATE are exempt, and PUSH_ENDPOINT_HOSTS, when set,
 * narrows push endpoints to known push services.
 *
 * Two checks share these rules: `checkPushEndpoint` (pure, at the door: scheme, host list,
 * literal addresses) and `outboundAddressRefusal` (when connecting, on the address a name
 * actually resolved to, so DNS rebinding cannot slip past the door check).
 */
import { classifyIp, describeAddressClass, inCidr, parseCidr, parseIp, type Cidr, type IpAddress } from './ip-address';

export interface OutboundPolicy {
  /**
   * Destinations exempt from the address rules (and allowed plain http): host names, exact,
   * lower case; IP addresses; CIDR blocks. From OUTBOUND_ALLOW_PRIVATE. Empty by default.
   */
  readonly allowPrivate: readonly string[];
  /**
   * When set, the only hosts a push endpoint may name: exact names, or `*.example.com` for any
   * name under example.com (not example.com itself). From PUSH_ENDPOINT_HOSTS.
   */
  readonly pushEndpointHosts?: readonly string[];
}

/** No exemptions, any public push service. */
export const DEFAULT_OUTBOUND_POLICY: OutboundPolicy = Object.freeze({ allowPrivate: Object.freeze([]) });

/** Every refusal starts with this, so a caller (and a person reading an event) knows why. */
export const OUTBOUND_REFUSAL_PREFIX = 'Refused by the outbound policy';

const refusal = (reason: string) => `${OUTBOUND_REFUSAL_PREFIX}: ${reason}`;

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Why an OUTBOUND_ALLOW_PRIVATE entry is unusable, or undefined when it is a host, an IP or a CIDR. */
export function allowPrivateEntryProblem(entry: string): string | undefined {
  if (entry.includes('/') && parseIp(entry.slice(0, entry.indexOf('/')))) return parseCidr(entry) ? undefined : `"${entry}" is not a CIDR block (e.g. 10.0.0.0/8, fd00::/8; no bits set past the prefix)`;
  if (parseIp(entry)) return undefined;
  return HOST_NAME.test(normalizeHost(entry)) ? undefined : `"${entry}" is neither a host name, an IP address nor a CIDR block`;
}

/** Why a PUSH_ENDPOINT_HOSTS entry is unusable, or undefined for `host.example` / `*.example`. */
export function pushHostEntryProblem(entry: string): string | undefined {
  const name = entry.startsWith('*.') ? entry.slice(2) : entry;
  if (parseIp(name)) return undefined;
  return HOST_NAME.test(normalizeHost(name)) ? undefined : `"${entry}" is not a host name or *.domain pattern`;
}

interface CompiledPolicy {
  names: Set<string>;
  blocks: Cidr[];
  pushHosts?: { exact: Set<string>; suffixes: string[] };
}

const compiled = new WeakMap<OutboundPolicy, CompiledPolicy>();

function compile(policy: OutboundPolicy): CompiledPolicy {
  let result = compiled.get(policy);
  if (result) return result;
  const names = new Set<string>();
  const blocks: Cidr[] = [];
  for (const entry of policy.allowPrivate) {
    const ip = entry.includes('/') ? undefined : parseIp(entry);
    const block = ip ? { address: ip, prefix: ip.bytes.length * 8 } : entry.includes('/') ? parseCidr(entry) : undefined;
    // Entries are validated by loadConfig; one that slipped through exempts nothing.
    if (block) blocks.push(block);
    else if (!entry.includes('/')) names.add(normalizeHost(entry));
  }
  result = { names, blocks };
  if (policy.pushEndpointHosts) {
    const exact = new Set<string>();
    const suffixes: string[] = [];
    for (const entry of policy.pushEndpointHosts) {
      if (entry.startsWith('*.')) suffixes.push(`.${normalizeHost(entry.slice(2))}`);
      else exact.add(normalizeHost(entry));
    }
    result.pushHosts = { exact, suffixes };
  }
  compiled.set(policy, result);
  return result;
}

/** Lower case, without URL brackets or a trailing root dot: how hosts are compared. */
export function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  const bare = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  return bare.endsWith('.') ? bare.slice(0, -1) : bare;
}

/** The address with an IPv4-mapped IPv6 form read as IPv4, so `127.0.0.1` exempts `::ffff:127.0.0.1`. */
function unmapped(address: IpAddress): IpAddress {
  const isMapped =
    address.version === 6 && address.bytes.slice(0, 10).every((b) => b === 0) && address.bytes[10] === 0xff && address.bytes[11] === 0xff;
  return isMapped ? { version: 4, bytes: address.bytes.slice(12) } : address;
}

/** True when the operator exempted this host name or this address. */
export function isExemptDestination(policy: OutboundPolicy, host: string, address?: string): boolean {
  const { names, blocks } = compile(policy);
  if (names.has(normalizeHost(host))) return true;
  const ip = parseIp(address ?? normalizeHost(host));
  if (!ip) return false;
  const candidates = [ip, unmapped(ip)];
  return blocks.some((block) => candidates.some((candidate) => inCidr(candidate, block)));
}

/**
 * The check made when connecting, on the address the host name resolved to (or the literal
 * address): a refusal sentence, or undefined when the connection may go ahead.
 */
export function outboundAddressRefusal(policy: OutboundPolicy, host: string, address: string): string | undefined {
  if (isExemptDestination(policy, host, address)) return undefined;
  const ip = parseIp(address);
  if (!ip) return refusal(`${address} is not an IP address`);
  const problem = describeAddressClass(classifyIp(ip));
  if (!problem) return undefined;
  const bareHost = normalizeHost(host);
  return parseIp(bareHost) ? refusal(`${address} is ${problem}`) : refusal(`${bareHost} resolves to ${address}, ${problem}`);
}

/**
 * The host part of the rules, known before any name is resolved: the PUSH_ENDPOINT_HOSTS list
 * (when `pushEndpoint`), a literal address's class, and names that are loopback by definition
 * (`localhost`, RFC 6761).
 */
export function outboundHostRefusal(policy: OutboundPolicy, host: string, { pushEndpoint = false } = {}): string | undefined {
  const bare = normalizeHost(host);
  if (bare === '') return refusal('the URL has no host');
  const { pushHosts } = compile(policy);
  if (pushEndpoint && pushHosts && !pushHosts.exact.has(bare) && !pushHosts.suffixes.some((suffix) => bare.endsWith(suffix))) {
    return refusal(`${bare} is not a push service listed in PUSH_ENDPOINT_HOSTS`);
  }
  if (isExemptDestination(policy, bare)) return undefined;
  if (parseIp(bare)) return outboundAddressRefusal(policy, bare, bare);
  if (bare === 'localhost' || bare.endsWith('.localhost')) return refusal(`${bare} is a loopback name`);
  return undefined;
}

export interface OutboundUrlOptions {
  /** Apply PUSH_ENDPOINT_HOSTS. */
  pushEndpoint?: boolean;
  /** Allow plain http to exempted destinations (webhooks; web push is always https). */
  httpWhenExempt?: boolean;
}

/**
 * The door check for a URL the system will later connect to: a refusal sentence, or undefined.
 * Pure and synchronous: it resolves no names (the connection does, and checks again).
 */
export function checkOutboundUrl(url: string, policy: OutboundPolicy, options: OutboundUrlOptions = {}): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refusal('the endpoint is not a URL');
  }
  const host = normalizeHost(parsed.hostname);
  if (parsed.protocol !== 'https:') {
    const httpAllowed = options.httpWhenExempt && parsed.protocol === 'http:' && host !== '' && isExemptDestination(policy, host);
    if (!httpAllowed) return refusal(`${parsed.protocol.replace(/:$/, '')} is not allowed, the URL must be https`);
  }
  return outboundHostRefusal(policy, host, { pushEndpoint: options.pushEndpoint ?? false });
}

/**
 * The door check for a web-push subscription endpoint: https (web push is https only, RFC 8030),
 * a host on PUSH_ENDPOINT_HOSTS when that is set, and no literal non-public address unless exempted.
 */
export function checkPushEndpoint(url: string, policy: OutboundPolicy): string | undefined {
  return checkOutboundUrl(url, policy, { pushEndpoint: true });
}

/** `checkPushEndpoint` bound to a policy, in the `(url) => string | undefined` shape of the intake hook. */
export function pushEndpointCheck(policy: OutboundPolicy): (url: string) => string | undefined {
  return (url) => checkPushEndpoint(url, policy);
}
