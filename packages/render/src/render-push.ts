/**
 * Push personalization at send time: plain Liquid over title, body, URL, icon and the
 * string leaves of `data`, then the size of the payload a provider will send.
 */
import type { CompiledPushTemplate } from './compiled-template';
import type { DetailedRenderer } from './detailed-renderer';
import { FieldRenderer, parseOptionalPlain } from './field-renderer';
import { parseLiquid, plainLiquid } from './liquid-engine';
import { prepareData, renderData } from './push-data-template';
import { buildPushPayload, pushPayloadBytes } from './push-payload';
import { readPushContent } from './read-content';
import { missingNames, type RenderedPush } from './rendered-message';

export function preparePush(compiled: CompiledPushTemplate): DetailedRenderer<RenderedPush> {
  const content = readPushContent(compiled.content);
  const title = parseLiquid(plainLiquid, 'title', content.title);
  const body = parseLiquid(plainLiquid, 'body', content.body);
  const url = parseOptionalPlain('url', content.url);
  const icon = parseOptionalPlain('icon', content.icon);
  const data = content.data === undefined ? undefined : prepareData(content.data);

  return {
    channel: 'push',
    renderDetailed(scope) {
      const fields = new FieldRenderer(scope);
      const payload = buildPushPayload({
        title: fields.render(plainLiquid, 'title', title).trim(),
        body: fields.render(plainLiquid, 'body', body).trim(),
      });
      // A URL or icon that renders empty is left out rather than sent as "".
      const renderedUrl = url && fields.render(plainLiquid, 'url', url).trim();
      if (renderedUrl) payload.url = renderedUrl;
      const renderedIcon = icon && fields.render(plainLiquid, 'icon', icon).trim();
      if (renderedIcon) payload.icon = renderedIcon;
      if (data) payload.data = renderData(data, fields.liquidScope, fields.missing) as Record<string, unknown>;
      const message: RenderedPush = {
        channel: 'push',
        ...payload,
        payloadBytes: pushPayloadBytes(payload),
        missingVariables: missingNames(fields.missing),
      };
      return { message, missing: fields.missing };
    },
  };
}
