import { mailOptions } from './mail-options';

const base = { from: 'Shop <no-reply@shop.example>', to: 'ada@example.test', subject: 's', html: '<p>x</p>', text: 'x' };

describe('mailOptions', () => {
  it('hands nodemailer the parsed sender mailboxes, never the text', () => {
    expect(mailOptions({ ...base, replyTo: '"Help, Desk" <help@shop.example>' })).toEqual({
      ok: true,
      recipients: 1,
      options: {
        from: { name: 'Shop', address: 'no-reply@shop.example' },
        to: 'ada@example.test',
        replyTo: { name: 'Help, Desk', address: 'help@shop.example' },
        subject: 's',
        html: '<p>x</p>',
        text: 'x',
        headers: undefined,
      },
    });
  });

  it.each([
    [{ from: 'attacker@evil.example, Shop <no-reply@shop.example>' }, 'from must be exactly one mailbox: "attacker@evil.example, Shop <no-reply@shop.example>" names more than one address'],
    [{ from: 'Shop <>' }, 'from must be exactly one mailbox: "Shop <>" has an empty address'],
    [{ replyTo: 'Team: a@x.example, b@x.example;' }, 'replyTo must be exactly one mailbox: "Team: a@x.example, b@x.example;" is a group, not one mailbox'],
    [{ replyTo: '' }, 'replyTo must be exactly one mailbox: "" is empty'],
  ])('refuses %p', (headers, error) => {
    expect(mailOptions({ ...base, ...headers })).toEqual({ ok: false, error });
  });

  it('counts a recipient list as more than one recipient', () => {
    expect(mailOptions({ ...base, to: 'a@x.example, b@x.example' })).toMatchObject({ ok: true, recipients: 2 });
  });
});
