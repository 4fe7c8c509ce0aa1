/**
 * The JSON a push notification carries to the device / service worker, and its size.
 * Push services must accept at least 4096 bytes (RFC 8030) and many refuse more; the
 * encryption adds its own overhead on top (with aes128gcm about 100 bytes), so a payload
 * near the limit is worth a warning, not only one above it.
 */

/** Web push payload limit in bytes: preview warns above it. */
export const WEB_PUSH_PAYLOAD_LIMIT_BYTES = 4096;

export interface PushPayload {
  title: string;
  body: string;
  url?: string;
  icon?: string;
  data?: Record<string, unknown>;
}

/** The payload with absent fields left out — the exact object a provider should send. */
export function buildPushPayload(message: PushPayload): PushPayload {
  const payload: PushPayload = { title: message.title, body: message.body };
  if (message.url !== undefined) payload.url = message.url;
  if (message.icon !== undefined) payload.icon = message.icon;
  if (message.data !== undefined) payload.data = message.data;
  return payload;
}

export function pushPayloadBytes(payload: PushPayload): number {
  return Buffer.byteLength(JSON.stringify(buildPushPayload(payload)), 'utf8');
}
