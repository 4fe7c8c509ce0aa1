/**
 * The send-time entry point. A worker prepares a renderer once per published template
 * version (every Liquid field parsed once, the HTML already compiled) and caches it; each
 * message is then Liquid rendering only — microseconds, no MJML.
 */
import type {
  CompiledEmailTemplate,
  CompiledPushTemplate,
  CompiledSmsTemplate,
  CompiledTemplate,
} from './compiled-template';
import type { DetailedRenderer } from './detailed-renderer';
import { prepareEmail } from './render-email';
import { preparePush } from './render-push';
import { prepareSms } from './render-sms';
import type { RenderedEmail, RenderedMessage, RenderedPush, RenderedSms } from './rendered-message';
import type { RenderScope } from './render-scope';
import { TemplateError } from './template-error';

export interface TemplateRenderer<M extends RenderedMessage = RenderedMessage> {
  readonly channel: M['channel'];
  /**
   * Personalizes the template for one event. Missing variables render empty and are listed
   * in `missingVariables`; a TemplateError means the render hit a limit (time, memory).
   */
  render(scope: RenderScope): Promise<M>;
}

/** Parses every Liquid field of a compiled template once; throws a TemplateError if one does not parse. */
export function prepareRenderer(compiled: CompiledEmailTemplate): TemplateRenderer<RenderedEmail>;
export function prepareRenderer(compiled: CompiledSmsTemplate): TemplateRenderer<RenderedSms>;
export function prepareRenderer(compiled: CompiledPushTemplate): TemplateRenderer<RenderedPush>;
export function prepareRenderer(compiled: CompiledTemplate): TemplateRenderer;
export function prepareRenderer(compiled: CompiledTemplate): TemplateRenderer {
  const renderer = prepareDetailedRenderer(compiled);
  return {
    channel: renderer.channel,
    render: async (scope) => renderer.renderDetailed(scope).message,
  };
}

export function prepareDetailedRenderer(compiled: CompiledTemplate): DetailedRenderer {
  switch (compiled.channel) {
    case 'email':
      return prepareEmail(compiled);
    case 'sms':
      return prepareSms(compiled);
    case 'push':
      return preparePush(compiled);
    default: {
      // Reachable with a row written by some other version of this code.
      const unknown: { channel?: unknown } = compiled satisfies never;
      throw new TemplateError('channel', `channel: unknown channel ${JSON.stringify(unknown.channel)}`);
    }
  }
}
