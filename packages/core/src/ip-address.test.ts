import { classifyIp, describeAddressClass, formatIp, inCidr, parseCidr, parseIp, type AddressClass } from './ip-address';

const classOf = (text: string): AddressClass => {
  const ip = parseIp(text);
  if (!ip) throw new Error(`not an IP: ${text}`);
  return classifyIp(ip).class;
};

describe('parseIp', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['::', '::'],
    ['::ffff:127.0.0.1', '::ffff:7f00:1'],
    ['::FFFF:7F00:1', '::ffff:7f00:1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['fe80::1:0:0:1', 'fe80::1:0:0:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ])('reads %s as %s', (text, formatted) => {
    expect(formatIp(parseIp(text)!)).toBe(formatted);
  });

  it.each([
    '',
    '127.1',
    '127.0.0.256',
    '0127.0.0.1',
    '0x7f.0.0.1',
    '2130706433',
    '1.2.3.4.5',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '12345::',
    '::1%eth0',
    '1.2.3.4::',
    'fe80::g',
    'localhost',
  ])('refuses %p', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('classifyIp', () => {
  it.each<[string, AddressClass]>([
    // IPv4
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.63.255.255', 'public'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['100.128.0.0', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.15.255.255', 'public'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['192.88.99.1', 'reserved'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['8.8.8.8', 'public'],
    ['142.250.74.106', 'public'],
    ['1.1.1.1', 'public'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:8.8.8.8', 'public'],
    ['::127.0.0.1', 'reserved'],
    ['::ffff:0:8.8.8.8', 'reserved'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::1', 'loopback'],
    ['2002:0808:0808::1', 'public'],
    ['100::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['ff05::2', 'multicast'],
    ['1::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['2a00:1450:4007:80e::200a', 'public'],
    ['2606:4700:4700::1111', 'public'],
  ])('%s is %s', (text, expected) => {
    expect(classOf(text)).toBe(expected);
  });

  it('names the IPv4 address an IPv6 one carries', () => {
    expect(describeAddressClass(classifyIp(parseIp('::ffff:127.0.0.1')!))).toBe('a loopback address (it carries IPv4 127.0.0.1)');
    expect(describeAddressClass(classifyIp(parseIp('169.254.169.254')!))).toBe('a link-local address');
    expect(describeAddressClass(classifyIp(parseIp('8.8.8.8')!))).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.255.0.1', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['127.0.0.1/32', '127.0.0.1', true],
    ['127.0.0.1/32', '127.0.0.2', false],
    ['100.64.0.0/10', '100.100.1.1', true],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['fd00::/8', 'fd12::1', true],
    ['fd00::/8', 'fc00::1', false],
    ['fe80::/10', 'febf::1', true],
    ['10.0.0.0/8', '::ffff:10.0.0.1', false],
  ])('%s contains %s: %s', (cidr, address, expected) => {
    expect(inCidr(parseIp(address)!, parseCidr(cidr)!)).toBe(expected);
  });

  it.each(['10.0.0.1/8', '10.0.0.0/33', '::/129', '10.0.0.0', '10.0.0.0/', 'x/8', '10.0.0.0/-1'])('refuses %p', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});
