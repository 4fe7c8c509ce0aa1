/**
 * Preview: what the operator sees before publishing — the draft compiled under the same
 * rules as publish (a fault is a TemplateError with its location) and rendered with test
 * data, plus every warning: MJML findings with their lines, each variable the test data
 * lacks, and the channel's size concerns (SMS encoding, push payload size).
 */
import type { Channel } from '@mc/core';
import type { ChannelContent, ContentByChannel } from '@mc/contracts';
import { compileTemplate } from './compile-template';
import { prepareDetailedRenderer } from './prepare-renderer';
import type { RenderedMessage, RenderedMessageByChannel } from './rendered-message';
import type { RenderScope } from './render-scope';
import { testDataWarnings } from './test-data-warnings';
import { renderWithUsage } from './render-limit-check';
import type { TemplateWarning } from './template-error';

export type Preview<M extends RenderedMessage = RenderedMessage> = M & { warnings: TemplateWarning[] };

export function previewTemplate<C extends Channel>(
  channel: C,
  content: ContentByChannel[C],
  scope: RenderScope,
): Promise<Preview<RenderedMessageByChannel[C]>>;
export function previewTemplate(channel: Channel, content: ChannelContent, scope: RenderScope): Promise<Preview>;
export async function previewTemplate(channel: Channel, content: ChannelContent, scope: RenderScope): Promise<Preview> {
  // A sender header that is not one mailbox is a warning here (with the data at hand), not a fault.
  const compiled = await compileTemplate(channel, content, { requireSingleMailbox: false });
  const { outcome, warnings } = renderWithUsage(prepareDetailedRenderer(compiled), scope);
  const { message, missing } = outcome;
  return { ...message, warnings: [...compiled.warnings, ...testDataWarnings(message, missing), ...warnings] };
}
