import { contentText } from './content-text';

test('a template as one text: each field under a Liquid comment heading, in a fixed order, JSON for objects', () => {
  expect(contentText('email', { mjml: '<mjml></mjml>', subject: 'Hi {{ ctx.a }}', extra: 'x' })).toBe(
    '{# subject #}\nHi {{ ctx.a }}\n\n{# mjml #}\n<mjml></mjml>\n\n{# extra #}\nx',
  );
  expect(contentText('push', { body: 'B', title: 'T', data: { k: 1 } })).toBe('{# title #}\nT\n\n{# body #}\nB\n\n{# data #}\n{\n  "k": 1\n}');
  expect(contentText('sms', {})).toBe('');
});
