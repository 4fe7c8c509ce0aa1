/**
 * What publishing produces and a template version row stores: the content as written, the
 * MJML already compiled to HTML (email), and the warnings shown to the operator. Plain
 * JSON, so it survives a round trip through Postgres unchanged.
 */
import type { EmailContent, PushContent, SmsContent } from '@mc/contracts';
import type { TemplateWarning } from './template-error';

export interface CompiledEmailTemplate {
  channel: 'email';
  content: EmailContent;
  /** content.mjml compiled by MJML; still holds the Liquid, which is personalized per message. */
  compiledHtml: string;
  warnings: TemplateWarning[];
}

export interface CompiledSmsTemplate {
  channel: 'sms';
  content: SmsContent;
  warnings: TemplateWarning[];
}

export interface CompiledPushTemplate {
  channel: 'push';
  content: PushContent;
  warnings: TemplateWarning[];
}

export type CompiledTemplate = CompiledEmailTemplate | CompiledSmsTemplate | CompiledPushTemplate;

export interface CompiledTemplateByChannel {
  email: CompiledEmailTemplate;
  sms: CompiledSmsTemplate;
  push: CompiledPushTemplate;
}
