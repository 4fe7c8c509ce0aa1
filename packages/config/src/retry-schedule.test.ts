import { DEFAULT_WEBHOOK_RETRY_SCHEDULE, parseRetrySchedule } from './retry-schedule';

it('reads the default schedule', () => {
  expect(parseRetrySchedule(DEFAULT_WEBHOOK_RETRY_SCHEDULE)).toEqual([
    5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000,
  ]);
});

it.each([
  ['1s,1s,1s', [1000, 1000, 1000]],
  ['5s, 5m ,30m', [5000, 300_000, 1_800_000]],
  ['250ms,1.5s,1d', [250, 1500, 86_400_000]],
])('reads %s', (text, expected) => {
  expect(parseRetrySchedule(text)).toEqual(expected);
});

it.each(['', '5', '5x', '1s,,1s', '-1s', '0s', '8d', 'five seconds'])('refuses %p with a sentence', (text) => {
  expect(typeof parseRetrySchedule(text)).toBe('string');
});
