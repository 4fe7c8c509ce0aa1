/**
 * Warnings that come from rendering a template with its test data, shared by preview and
 * publish: each variable the data lacks, and the channel's size concerns (an SMS forced
 * into UCS-2, a push payload over the web push limit).
 */
import { mailboxProblem } from '@mc/core';
import { WEB_PUSH_PAYLOAD_LIMIT_BYTES } from './push-payload';
import type { MissingVariable, RenderedEmail, RenderedMessage } from './rendered-message';
import { nonGsm7Characters } from './sms-segments';
import type { TemplateWarning } from './template-error';

export function testDataWarnings(message: RenderedMessage, missing: readonly MissingVariable[]): TemplateWarning[] {
  return [...missingVariableWarnings(missing), ...channelWarnings(message)];
}

/** One warning per (field, variable), in the order the template reads them. */
function missingVariableWarnings(missing: readonly MissingVariable[]): TemplateWarning[] {
  const seen = new Set<string>();
  const warnings: TemplateWarning[] = [];
  for (const { field, name } of missing) {
    const key = `${field}\u0000${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    warnings.push({ field, message: `${name} is not defined in the test data` });
  }
  return warnings;
}

function channelWarnings(message: RenderedMessage): TemplateWarning[] {
  switch (message.channel) {
    case 'sms': {
      if (message.encoding !== 'UCS-2') return [];
      const characters = nonGsm7Characters(message.text).map((c) => JSON.stringify(c)).join(', ');
      return [
        {
          field: 'text',
          message:
            `${characters} cannot be sent in GSM-7, so the SMS goes as UCS-2 ` +
            `(70 characters per SMS instead of 160): ${message.segments} part(s)`,
        },
      ];
    }
    case 'push':
      if (message.payloadBytes <= WEB_PUSH_PAYLOAD_LIMIT_BYTES) return [];
      return [
        {
          field: 'payload',
          message:
            `the push payload is ${message.payloadBytes} bytes, over the ${WEB_PUSH_PAYLOAD_LIMIT_BYTES}-byte ` +
            `web push limit — push services may refuse it; shorten the body or data`,
        },
      ];
    case 'email':
      return senderFaults(message).map(({ field, message: text }) => ({ field, message: text }));
  }
}

/**
 * `from` and `replyTo` as rendered that are not exactly one mailbox: the send would fail (the
 * provider refuses them), so publish refuses them and preview warns.
 */
export function senderFaults(message: RenderedEmail): { field: 'from' | 'replyTo'; message: string }[] {
  const faults: { field: 'from' | 'replyTo'; message: string }[] = [];
  for (const field of ['from', 'replyTo'] as const) {
    const value = message[field];
    if (value === undefined) continue;
    const problem = mailboxProblem(value);
    if (problem) {
      faults.push({ field, message: `renders as ${JSON.stringify(value)}, which ${problem}: ${field} must be exactly one mailbox (Name <address@domain>), so the send would fail` });
    }
  }
  return faults;
}
