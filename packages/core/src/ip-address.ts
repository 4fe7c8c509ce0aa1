/**
 * IP address parsing and classification for the outbound policy: which addresses are on the
 * public internet and which belong to this machine, its network or no one (loopback, private,
 * link-local, CGNAT, multicast, reserved...). Pure and synchronous, so the ingest can use it
 * at the door and the channels when connecting.
 */

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address. */
export interface IpAddress {
  version: 4 | 6;
  bytes: readonly number[];
}

/** Where an address leads; everything but `public` is refused by the outbound policy. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'shared'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'reserved'
  | 'documentation';

export interface AddressVerdict {
  class: AddressClass;
  /** The IPv4 address an IPv6 one carries and that decided its class (mapped, NAT64, 6to4). */
  embeddedIpv4?: string;
}

/** Dotted quad, four decimal parts without leading zeros (an octal reading would differ). */
export function parseIpv4(text: string): IpAddress | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes.push(value);
  }
  return { version: 4, bytes };
}

/** RFC 4291 text forms: `::` compression and a trailing dotted quad; no zone index. */
export function parseIpv6(text: string): IpAddress | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string): number[] | undefined => {
    if (half === '') return [];
    const groups: number[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) return undefined;
        groups.push((v4.bytes[0]! << 8) | v4.bytes[1]!, (v4.bytes[2]! << 8) | v4.bytes[3]!);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(piece)) return undefined;
        groups.push(parseInt(piece, 16));
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return undefined;
  // An embedded dotted quad is only allowed at the very end.
  if (halves.length === 2 && halves[0]!.includes('.')) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  return { version: 6, bytes: groups.flatMap((g) => [g >> 8, g & 0xff]) };
}

/** An IPv4 or IPv6 literal; IPv6 may be written in URL brackets (`[::1]`). */
export function parseIp(text: string): IpAddress | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return parseIpv4(bare) ?? parseIpv6(bare);
}

export function formatIp(address: IpAddress): string {
  if (address.version === 4) return address.bytes.join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((address.bytes[i]! << 8) | address.bytes[i + 1]!);
  // RFC 5952: compress the longest run of two or more zero groups.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** A block of addresses, `10.0.0.0/8` or `fc00::/7`. */
export interface Cidr {
  address: IpAddress;
  prefix: number;
}

/** Parses `a.b.c.d/n` or `v6/n`; the bits past the prefix must be zero (a typo otherwise). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > address.bytes.length * 8) return undefined;
  const cidr = { address, prefix };
  return hostBitsZero(cidr) ? cidr : undefined;
}

function hostBitsZero({ address, prefix }: Cidr): boolean {
  for (let bit = prefix; bit < address.bytes.length * 8; bit++) {
    if ((address.bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return false;
  }
  return true;
}

export function inCidr(address: IpAddress, cidr: Cidr): boolean {
  if (address.version !== cidr.address.version) return false;
  const full = cidr.prefix >> 3;
  for (let i = 0; i < full; i++) if (address.bytes[i] !== cidr.address.bytes[i]) return false;
  const rest = cidr.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address.bytes[full]! & mask) === (cidr.address.bytes[full]! & mask);
}

const table = (rows: [string, AddressClass][]) => rows.map(([cidr, kind]) => ({ cidr: parseCidr(cidr)!, kind }));

/** First match wins (broadcast before the reserved block that holds it). IANA special-purpose registry. */
const IPV4_TABLE = table([
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
]);

const IPV6_TABLE = table([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  // IPv4-compatible (deprecated) and IPv4-translated: never routed as such.
  ['::/96', 'reserved'],
  ['::ffff:0:0:0/96', 'reserved'],
  ['64:ff9b:1::/48', 'private'],
  ['100::/64', 'reserved'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  // IETF protocol assignments, Teredo among them (its IPv4 is obfuscated).
  ['2001::/23', 'reserved'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  // Site-local: deprecated, but still someone's internal network.
  ['fec0::/10', 'private'],
  ['ff00::/8', 'multicast'],
]);

const MAPPED = parseCidr('::ffff:0:0/96')!;
const NAT64 = parseCidr('64:ff9b::/96')!;
const SIX_TO_FOUR = parseCidr('2002::/16')!;
const GLOBAL_UNICAST = parseCidr('2000::/3')!;

/**
 * What an address leads to. An IPv6 address that carries an IPv4 one the network will reach
 * (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is judged by that
 * IPv4 address, so `::ffff:127.0.0.1` is loopback.
 */
export function classifyIp(address: IpAddress): AddressVerdict {
  if (address.version === 4) {
    return { class: IPV4_TABLE.find((row) => inCidr(address, row.cidr))?.kind ?? 'public' };
  }
  const embedded = embeddedIpv4(address);
  if (embedded) return { class: classifyIp(embedded).class, embeddedIpv4: formatIp(embedded) };
  const row = IPV6_TABLE.find((r) => inCidr(address, r.cidr));
  if (row) return { class: row.kind };
  return { class: inCidr(address, GLOBAL_UNICAST) ? 'public' : 'reserved' };
}

/** The IPv4 address an IPv6 one stands for, when the network would deliver to it. */
export function embeddedIpv4(address: IpAddress): IpAddress | undefined {
  if (address.version !== 6) return undefined;
  if (inCidr(address, MAPPED) || inCidr(address, NAT64)) return { version: 4, bytes: address.bytes.slice(12, 16) };
  if (inCidr(address, SIX_TO_FOUR)) return { version: 4, bytes: address.bytes.slice(2, 6) };
  return undefined;
}

const DESCRIPTIONS: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  shared: 'a shared (CGNAT, 100.64.0.0/10) address',
  multicast: 'a multicast address',
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  reserved: 'a reserved address',
  documentation: 'a documentation address',
};

/** `a loopback address (IPv4-mapped 127.0.0.1)`; undefined for a public address. */
export function describeAddressClass(verdict: AddressVerdict): string | undefined {
  if (verdict.class === 'public') return undefined;
  const description = DESCRIPTIONS[verdict.class];
  return verdict.embeddedIpv4 ? `${description} (it carries IPv4 ${verdict.embeddedIpv4})` : description;
}
