/** The channels a message can go out on. */
export const CHANNELS = ['email', 'sms', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * Adobe Campaign's numeric `wishedChannel` codes. 41 (iOS) and 42 (Android) are both mobile
 * push here; the push address on the event decides between web push and SNS.
 */
const ADOBE_CHANNEL_CODES: Readonly<Record<string, Channel>> = {
  '0': 'email',
  '1': 'sms',
  '41': 'push',
  '42': 'push',
};

/** Resolves a wishedChannel given by name or by Adobe code; undefined when unknown. */
export function parseWishedChannel(value: string | number): Channel | undefined {
  const key = String(value).trim().toLowerCase();
  if ((CHANNELS as readonly string[]).includes(key)) return key as Channel;
  return ADOBE_CHANNEL_CODES[key];
}

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);
}
