/**
 * Publish-time compilation: checks that every Liquid field parses, compiles an email's
 * MJML to HTML once, and returns what a template version row stores. Everything that can
 * be wrong with a template is found here, so the worker never meets a broken one.
 */
import { mailboxProblem, type Channel } from '@mc/core';
import type { ChannelContent, ContentByChannel, EmailContent, PushContent, SmsContent } from '@mc/contracts';
import type {
  CompiledEmailTemplate,
  CompiledPushTemplate,
  CompiledSmsTemplate,
  CompiledTemplate,
  CompiledTemplateByChannel,
} from './compiled-template';
import { compileMjml } from './compile-mjml';
import { prepareDetailedRenderer } from './prepare-renderer';
import { htmlLiquid, liquidErrorDetail, parseLiquid, plainLiquid } from './liquid-engine';
import { findLostLiquid, type LostLiquid } from './liquid-survival-check';
import { prepareData } from './push-data-template';
import { readEmailContent, readPushContent, readSmsContent } from './read-content';
import type { RenderScope } from './render-scope';
import { TemplateError, describeLocation } from './template-error';
import { senderFaults, testDataWarnings } from './test-data-warnings';
import { renderWithUsage } from './render-limit-check';

export interface CompileOptions {
  /**
   * The template's test data. When given, the compiled template is also rendered with it
   * and the result's warnings are added: each variable the data lacks, an SMS forced into
   * UCS-2, a push payload over the web push limit.
   */
  testData?: RenderScope;
  /**
   * Refuse an email whose `from` or `replyTo` is not exactly one mailbox: as written when it has
   * no Liquid, as rendered with `testData` otherwise. Preview turns it off and warns instead.
   * @defaultValue true
   */
  requireSingleMailbox?: boolean;
}

/**
 * Compiles a template's content for `channel`. Throws a TemplateError (field, line,
 * column, operator-facing message) when it cannot publish; findings that do not stop it
 * are returned as `warnings`.
 */
export function compileTemplate<C extends Channel>(
  channel: C,
  content: ContentByChannel[C],
  options?: CompileOptions,
): Promise<CompiledTemplateByChannel[C]>;
export function compileTemplate(channel: Channel, content: ChannelContent, options?: CompileOptions): Promise<CompiledTemplate>;
export async function compileTemplate(
  channel: Channel,
  content: ChannelContent,
  options: CompileOptions = {},
): Promise<CompiledTemplate> {
  const compiled = await compileContent(channel, content);
  const checkSenders = compiled.channel === 'email' && (options.requireSingleMailbox ?? true);
  if (options.testData) {
    // Under the same limits as a send: a limit hit throws (TemplateRenderError), coming close warns.
    const { outcome, warnings } = renderWithUsage(prepareDetailedRenderer(compiled), options.testData);
    const { message, missing } = outcome;
    if (checkSenders && message.channel === 'email') {
      const fault = senderFaults(message)[0];
      if (fault) throw new TemplateError(fault.field, `${fault.field}: with the test data it ${fault.message}`);
    }
    compiled.warnings.push(...testDataWarnings(message, missing), ...warnings);
  } else if (checkSenders && compiled.channel === 'email') {
    for (const field of ['from', 'replyTo'] as const) {
      const source = compiled.content[field]?.trim();
      // With Liquid in it, only a render with data can tell; without, the text is what is sent.
      if (!source || /\{\{|\{%/.test(source)) continue;
      const problem = mailboxProblem(source);
      if (problem) throw new TemplateError(field, `${field}: ${JSON.stringify(source)} ${problem}; ${field} must be exactly one mailbox (Name <address@domain>)`);
    }
  }
  return compiled;
}

async function compileContent(channel: Channel, content: ChannelContent): Promise<CompiledTemplate> {
  switch (channel) {
    case 'email':
      return compileEmail(readEmailContent(content));
    case 'sms':
      return compileSms(readSmsContent(content));
    case 'push':
      return compilePush(readPushContent(content));
    default:
      throw new TemplateError('channel', `channel: unknown channel ${JSON.stringify(channel satisfies never)}`);
  }
}

async function compileEmail(content: EmailContent): Promise<CompiledEmailTemplate> {
  // Liquid first, against the MJML as written, so errors carry the lines the operator sees.
  for (const field of ['subject', 'text', 'from', 'replyTo'] as const) {
    const source = content[field];
    if (source !== undefined) parseLiquid(plainLiquid, field, source);
  }
  parseLiquid(htmlLiquid, 'mjml', content.mjml);

  const { html, warnings } = await compileMjml(content.mjml);

  let lost: LostLiquid[] = [];
  try {
    lost = findLostLiquid(htmlLiquid, content.mjml, html);
  } catch {
    // The compiled HTML does not even tokenize; the parse below reports it.
  }
  const lostTag = lost.find((token) => token.kind === 'tag');
  if (lostTag) {
    const { line, column } = lostTag;
    throw new TemplateError(
      'mjml',
      `${describeLocation('mjml', { line })}: Liquid ${lostTag.text} is lost when MJML compiles the template ` +
        `(MJML drops or rewrites the attribute or position it is in) — move it into an element's content or wrap it in <mj-raw>`,
      { line, column },
    );
  }
  try {
    htmlLiquid.parse(html);
  } catch (err) {
    throw new TemplateError(
      'mjml',
      `mjml: after MJML compilation the Liquid no longer parses (${liquidErrorDetail(err)}) — ` +
        `a Liquid block probably spans elements that MJML moves; keep each {% %} block inside one element or use <mj-raw>`,
      {},
      { cause: err },
    );
  }
  for (const output of lost) {
    warnings.push({
      field: 'mjml',
      line: output.line,
      column: output.column,
      message: `${output.text} does not appear in the compiled HTML — MJML dropped or rewrote the attribute it is in`,
    });
  }
  return { channel: 'email', content, compiledHtml: html, warnings };
}

function compileSms(content: SmsContent): CompiledSmsTemplate {
  parseLiquid(plainLiquid, 'text', content.text);
  return { channel: 'sms', content, warnings: [] };
}

function compilePush(content: PushContent): CompiledPushTemplate {
  for (const field of ['title', 'body', 'url', 'icon'] as const) {
    const source = content[field];
    if (source !== undefined) parseLiquid(plainLiquid, field, source);
  }
  if (content.data !== undefined) prepareData(content.data);
  return { channel: 'push', content, warnings: [] };
}
