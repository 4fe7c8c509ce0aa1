/**
 * @mc/render — the template engine: MJML compiled once at publish, sandboxed Liquid
 * personalization per message, and preview. Nothing exported here runs MJML per message.
 */
export { compileTemplate } from './compile-template';
export type { CompileOptions } from './compile-template';
export type {
  CompiledTemplate,
  CompiledEmailTemplate,
  CompiledSmsTemplate,
  CompiledPushTemplate,
  CompiledTemplateByChannel,
} from './compiled-template';

export { prepareRenderer } from './prepare-renderer';
export type { TemplateRenderer } from './prepare-renderer';
export type { RenderScope } from './render-scope';
export type {
  RenderedMessage,
  RenderedEmail,
  RenderedSms,
  RenderedPush,
  RenderedMessageByChannel,
} from './rendered-message';

export { previewTemplate } from './preview-template';
export type { Preview } from './preview-template';

export { TemplateError, TemplateRenderError } from './template-error';
export type { RenderLimit, TemplateWarning, TemplateLocation, TemplateField } from './template-error';
export { NEAR_LIMIT_SHARE } from './render-limit-check';

export { smsSegments } from './sms-segments';
export type { SmsEncoding, SmsSegmentInfo } from './sms-segments';

export { WEB_PUSH_PAYLOAD_LIMIT_BYTES, buildPushPayload, pushPayloadBytes } from './push-payload';
export type { PushPayload } from './push-payload';
export { ctxSchemaWarnings } from './ctx-schema-warnings';
