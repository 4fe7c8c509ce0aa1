/**
 * Reads channel content that arrives as stored JSON. The API validated it against its
 * schema, but rows outlive schemas and a compiled template is read back from Postgres, so
 * publish and prepare both re-check the shape here, keep only the known fields, and
 * report a bad one as a TemplateError naming the field.
 */
import type { EmailContent, PushContent, SmsContent } from '@mc/contracts';
import { TemplateError } from './template-error';

export function readEmailContent(content: unknown): EmailContent {
  const record = asRecord(content);
  const email: EmailContent = { subject: requiredString(record, 'subject'), mjml: requiredString(record, 'mjml') };
  for (const field of ['text', 'from', 'replyTo'] as const) {
    const value = optionalString(record, field);
    if (value !== undefined) email[field] = value;
  }
  return email;
}

export function readSmsContent(content: unknown): SmsContent {
  return { text: requiredString(asRecord(content), 'text') };
}

export function readPushContent(content: unknown): PushContent {
  const record = asRecord(content);
  const push: PushContent = { title: requiredString(record, 'title'), body: requiredString(record, 'body') };
  for (const field of ['url', 'icon'] as const) {
    const value = optionalString(record, field);
    if (value !== undefined) push[field] = value;
  }
  const data = record['data'];
  if (data !== undefined) {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new TemplateError('data', 'data: must be an object');
    }
    push.data = data as Record<string, unknown>;
  }
  return push;
}

function asRecord(content: unknown): Record<string, unknown> {
  if (content === null || typeof content !== 'object' || Array.isArray(content)) {
    throw new TemplateError('content', 'content: must be an object');
  }
  return content as Record<string, unknown>;
}

function requiredString(record: Record<string, unknown>, field: string): string {
  const value = record[field];
  if (typeof value !== 'string') throw new TemplateError(field, `${field}: is required and must be text`);
  return value;
}

function optionalString(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new TemplateError(field, `${field}: must be text`);
  return value;
}
