import { TypeCompiler } from '@sinclair/typebox/compiler';
import { EventInput } from './event-input';
import './formats';

describe('formats known to the TypeBox checker', () => {
  const check = TypeCompiler.Compile(EventInput);
  it('accepts RFC 3339 date-times and https push endpoints', () => {
    expect(
      check.Check({
        type: 'T',
        scheduled: '2026-11-27T15:00:00Z',
        expiration: '2026-11-28T00:00:00.000+01:00',
        push: { webPush: { endpoint: 'https://push.example/abc', keys: { p256dh: 'k', auth: 'a' } } },
      }),
    ).toBe(true);
  });
  it('refuses what is not a date-time', () => {
    expect(check.Check({ type: 'T', scheduled: 'tomorrow' })).toBe(false);
    expect(check.Check({ type: 'T', scheduled: '2026-13-45T99:00:00Z' })).toBe(false);
  });
});
