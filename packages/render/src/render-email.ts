/**
 * Email personalization at send time: Liquid over the HTML compiled at publish (escaped),
 * the subject and headers (plain, single line), and the text part — the template's own
 * when it has one, otherwise derived from the personalized HTML. No MJML runs here.
 */
import { compile, type HtmlToTextOptions } from 'html-to-text';
import type { CompiledEmailTemplate } from './compiled-template';
import type { DetailedRenderer } from './detailed-renderer';
import { FieldRenderer, parseOptionalPlain, singleLine } from './field-renderer';
import { htmlLiquid, parseLiquid, plainLiquid } from './liquid-engine';
import { readEmailContent } from './read-content';
import { missingNames, type RenderedEmail } from './rendered-message';
import { TemplateError } from './template-error';

/** How the text part is derived from HTML (exported for the test that checks `fromBody`). */
export const HTML_TO_TEXT_OPTIONS = {
  // RFC 5322's recommended line length.
  wordwrap: 78,
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    // Layout images and tracking pixels only add noise to a text part.
    { selector: 'img', format: 'skip' },
    // MJML's mj-preview: inbox preheader text, hidden in the HTML body.
    { selector: 'div[style*="display:none"]', format: 'skip' },
  ],
} satisfies HtmlToTextOptions;

/** Compiled once: html-to-text builds its selector tree per options object. */
const convertHtmlToText = compile(HTML_TO_TEXT_OPTIONS);

/** A readable text part from personalized HTML: the words and the links, not the layout. */
export function textFromHtml(html: string): string {
  return convertHtmlToText(fromBody(html)).replace(/\n{3,}/g, '\n\n').trim();
}

/**
 * The document from its `<body>` on. html-to-text converts only the body (its default base
 * element) but parses everything before it to get there, and MJML's `<head>` — its CSS and
 * Outlook conditional comments — was over a quarter of that work (66–86 → 49 µs a message for
 * the bench's template). A document without a closed head, or without a body after it, is
 * converted whole, as before.
 */
function fromBody(html: string): string {
  const headEnd = html.search(/<\/head\s*>/i);
  if (headEnd < 0) return html;
  const body = html.slice(headEnd).search(/<body[\s>]/i);
  return body < 0 ? html : html.slice(headEnd + body);
}

export function prepareEmail(compiled: CompiledEmailTemplate): DetailedRenderer<RenderedEmail> {
  const content = readEmailContent(compiled.content);
  if (typeof compiled.compiledHtml !== 'string') {
    throw new TemplateError('mjml', 'mjml: the template has no compiled HTML — compile (publish) it before rendering');
  }
  const subject = parseLiquid(plainLiquid, 'subject', content.subject);
  const html = parseLiquid(htmlLiquid, 'mjml', compiled.compiledHtml);
  const text = parseOptionalPlain('text', content.text);
  const from = parseOptionalPlain('from', content.from);
  const replyTo = parseOptionalPlain('replyTo', content.replyTo);

  return {
    channel: 'email',
    renderDetailed(scope) {
      const fields = new FieldRenderer(scope);
      const renderedHtml = fields.render(htmlLiquid, 'mjml', html);
      const message: RenderedEmail = {
        channel: 'email',
        subject: singleLine(fields.render(plainLiquid, 'subject', subject)),
        html: renderedHtml,
        text: text ? fields.render(plainLiquid, 'text', text) : textFromHtml(renderedHtml),
        missingVariables: [],
      };
      // An address that renders empty is left out, so the provider's default applies.
      const renderedFrom = from && singleLine(fields.render(plainLiquid, 'from', from));
      if (renderedFrom) message.from = renderedFrom;
      const renderedReplyTo = replyTo && singleLine(fields.render(plainLiquid, 'replyTo', replyTo));
      if (renderedReplyTo) message.replyTo = renderedReplyTo;
      message.missingVariables = missingNames(fields.missing);
      return { message, missing: fields.missing };
    },
  };
}
