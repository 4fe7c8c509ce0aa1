import { isValidEmail, isValidPhone, normalizePhone } from './addresses';

describe('addresses', () => {
  it.each(['ann@example.com', 'a.b+tag@sub.example.org', "o'neil@example.co.uk"])('accepts %s', (a) => {
    expect(isValidEmail(a)).toBe(true);
  });
  it.each(['', 'ann', 'ann@', '@example.com', 'ann@example', 'a b@example.com', 'ann@exa mple.com', 'a<b>@x.org'])(
    'refuses %p',
    (a) => expect(isValidEmail(a)).toBe(false),
  );
  it('checks E.164 phone numbers after normalizing', () => {
    expect(isValidPhone(normalizePhone('+46 70-123 45 67'))).toBe(true);
    expect(isValidPhone('0701234567')).toBe(false);
    expect(isValidPhone('+0123456789')).toBe(false);
  });
});
