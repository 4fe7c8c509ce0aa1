import { verifyVerpAddress, verpAddress, verpMac } from './verp';

const settings = { domain: 'Bounce.Shop.example', secret: 'a-secret-of-enough-length' };

describe('VERP addresses', () => {
  it('encodes the event id and a 16-character lower-case hex mac', () => {
    const address = verpAddress('123456789', settings);
    expect(address).toMatch(/^bounces\+123456789-[0-9a-f]{16}@bounce\.shop\.example$/);
    expect(address).toContain(verpMac('123456789', settings.secret));
  });

  it('verifies its own addresses, whatever their case or wrapping', () => {
    const address = verpAddress('42', settings);
    expect(verifyVerpAddress(address, settings)).toEqual({ kind: 'verified', eventId: '42' });
    expect(verifyVerpAddress(`Mailer <${address.toUpperCase()}>`, settings)).toEqual({ kind: 'verified', eventId: '42' });
  });

  it('calls a wrong mac, a swapped event id or another secret forged', () => {
    const address = verpAddress('42', settings);
    const mac = verpMac('42', settings.secret);
    expect(verifyVerpAddress(address.replace(mac, '0'.repeat(16)), settings).kind).toBe('forged');
    expect(verifyVerpAddress(address.replace('+42-', '+43-'), settings).kind).toBe('forged');
    expect(verifyVerpAddress(address.replace(mac, mac.slice(0, 15)), settings).kind).toBe('forged');
    expect(verifyVerpAddress(address, { ...settings, secret: 'another-secret-entirely' }).kind).toBe('forged');
    expect(verifyVerpAddress('bounces+x@bounce.shop.example', settings).kind).toBe('forged');
  });

  it('ignores addresses that are not VERP addresses of the domain', () => {
    expect(verifyVerpAddress('postmaster@bounce.shop.example', settings)).toEqual({ kind: 'other' });
    expect(verifyVerpAddress(verpAddress('42', { ...settings, domain: 'elsewhere.example' }), settings)).toEqual({ kind: 'other' });
    expect(verifyVerpAddress('not an address', settings)).toEqual({ kind: 'other' });
  });
});
