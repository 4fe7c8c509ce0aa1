import { mailboxProblem, parseMailbox } from './mailbox';

describe('parseMailbox', () => {
  it.each([
    ['no-reply@shop.example', { name: '', address: 'no-reply@shop.example' }],
    ['  no-reply@shop.example  ', { name: '', address: 'no-reply@shop.example' }],
    ['Shop <no-reply@shop.example>', { name: 'Shop', address: 'no-reply@shop.example' }],
    ['<no-reply@shop.example>', { name: '', address: 'no-reply@shop.example' }],
    ["O'Neil & Sons   Shop <a@shop.example>", { name: "O'Neil & Sons Shop", address: 'a@shop.example' }],
    ['"Shop, Paris" <a@shop.example>', { name: 'Shop, Paris', address: 'a@shop.example' }],
    ['"Say \\"hi\\"" <a@shop.example>', { name: 'Say "hi"', address: 'a@shop.example' }],
    ['"attacker@evil.example" <a@shop.example>', { name: 'attacker@evil.example', address: 'a@shop.example' }],
    ['Café Crème <a@shop.example>', { name: 'Café Crème', address: 'a@shop.example' }],
    ['Message Center <no-reply@localhost>', { name: 'Message Center', address: 'no-reply@localhost' }],
  ])('reads %p', (value, mailbox) => {
    expect(parseMailbox(value)).toEqual({ ok: true, mailbox });
  });

  it.each([
    ['attacker@evil.example, Shop <no-reply@shop.example>', 'names more than one address'],
    ['a@x.example, b@y.example', 'names more than one address'],
    ['a@x.example; b@y.example', 'names more than one address'],
    ['Shop <a@shop.example>, b@y.example', 'names more than one address'],
    ['Shop <a@shop.example> <b@y.example>', 'names more than one address'],
    ['<a@shop.example,b@y.example>', 'names more than one address'],
    ['Friends: a@x.example, b@y.example;', 'is a group, not one mailbox'],
    ['Friends: a@x.example;', 'is a group, not one mailbox'],
    ['undisclosed-recipients:;', 'is a group, not one mailbox'],
    ['Shop <>', 'has an empty address'],
    ['', 'is empty'],
    ['   ', 'is empty'],
    ['Shop', '"Shop" is not an email address'],
    ['Shop <shop>', '"shop" is not an email address'],
    ['Shop <a@shop.example', 'has a "<" without ">"'],
    ['Shop a@shop.example>', 'has a ">" without "<"'],
    ['"Shop <a@shop.example>', 'has an unterminated quoted display name'],
    ['Shop (Paris) <a@shop.example>', 'has "(" in its display name (quote the name)'],
    ['evil@x.example <a@shop.example>', 'has "@" in its display name (quote the name)'],
    ['Shop <a@shop.example> trailing', 'has "trailing" after the address'],
    ['Shop <a@shop.example>\r\nBcc: x@y.example', 'contains a control character or line break'],
  ])('refuses %p: %s', (value, problem) => {
    expect(parseMailbox(value)).toEqual({ ok: false, problem });
    expect(mailboxProblem(value)).toBe(problem);
  });
});
