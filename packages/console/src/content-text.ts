import type { Channel } from './api';

/** A template's content as one text: each field under a heading, in a fixed order. */
export function contentText(channel: Channel, content: Record<string, unknown>): string {
  const order = channel === 'email' ? ['subject', 'from', 'replyTo', 'mjml', 'text'] : channel === 'sms' ? ['text'] : ['title', 'body', 'url', 'icon', 'data'];
  const fields = [...order, ...Object.keys(content).filter((k) => !order.includes(k))];
  return fields
    .filter((field) => content[field] !== undefined)
    .map((field) => `{# ${field} #}\n${typeof content[field] === 'string' ? content[field] : JSON.stringify(content[field], null, 2)}`)
    .join('\n\n');
}
