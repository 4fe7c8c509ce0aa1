/**
 * WEBHOOK_RETRY_SCHEDULE: the waits between webhook delivery attempts, as a comma-separated
 * list of durations (`5s,5m,30m,2h`; units ms, s, m, h, d). One entry per retry, so the list's
 * length is the number of retries after the first attempt.
 */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The Standard Webhooks suggested schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,14h,20h,24h';

/** Longest single wait accepted (a week), and most entries: guards against a typo's effect. */
const MAX_WAIT_MS = 7 * 86_400_000;
const MAX_ENTRIES = 50;

/** The schedule in milliseconds, or a sentence saying what is wrong with it. */
export function parseRetrySchedule(text: string): number[] | string {
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.length > MAX_ENTRIES) return `at most ${MAX_ENTRIES} entries`;
  const waits: number[] = [];
  for (const entry of entries) {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(entry);
    if (!match) return `"${entry}" is not a duration such as 5s, 5m, 2h or 1d`;
    const ms = Math.round(Number(match[1]) * UNIT_MS[match[2]!]!);
    if (ms <= 0 || ms > MAX_WAIT_MS) return `"${entry}" must be more than 0 and at most 7d`;
    waits.push(ms);
  }
  return waits;
}
