/** SMS personalization at send time: plain Liquid, then the part count the text will cost. */
import type { CompiledSmsTemplate } from './compiled-template';
import type { DetailedRenderer } from './detailed-renderer';
import { FieldRenderer } from './field-renderer';
import { parseLiquid, plainLiquid } from './liquid-engine';
import { readSmsContent } from './read-content';
import { missingNames, type RenderedSms } from './rendered-message';
import { smsSegments } from './sms-segments';

export function prepareSms(compiled: CompiledSmsTemplate): DetailedRenderer<RenderedSms> {
  const text = parseLiquid(plainLiquid, 'text', readSmsContent(compiled.content).text);
  return {
    channel: 'sms',
    renderDetailed(scope) {
      const fields = new FieldRenderer(scope);
      // Whitespace around Liquid tags ({% if %} on its own line) would otherwise cost septets.
      const body = fields.render(plainLiquid, 'text', text).trim();
      const { segments, encoding } = smsSegments(body);
      const message: RenderedSms = {
        channel: 'sms',
        text: body,
        segments,
        encoding,
        missingVariables: missingNames(fields.missing),
      };
      return { message, missing: fields.missing };
    },
  };
}
