// The text part is derived from the body only (fromBody in render-email.ts), to skip parsing
// MJML's head: the text must be exactly what converting the whole document gives.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compile } from 'html-to-text';
import { compileTemplate } from './compile-template';
import { HTML_TO_TEXT_OPTIONS, textFromHtml } from './render-email';

const whole = compile(HTML_TO_TEXT_OPTIONS);
const wholeText = (html: string) => whole(html).replace(/\n{3,}/g, '\n\n').trim();

describe('textFromHtml', () => {
  it('gives the text of the whole document for compiled MJML templates', async () => {
    const receipt = readFileSync(path.resolve(__dirname, '__fixtures__/receipt-email.mjml'), 'utf8');
    const small =
      '<mjml><mj-head><mj-preview>Preheader</mj-preview><mj-style>.x { color: red }</mj-style></mj-head>' +
      '<mj-body><mj-section><mj-column><mj-text>Hello <a href="https://shop.test/">shop</a></mj-text>' +
      '<mj-button href="https://shop.test/track">Track</mj-button></mj-column></mj-section></mj-body></mjml>';
    for (const mjml of [receipt, small]) {
      const { compiledHtml } = await compileTemplate('email', { subject: 's', mjml });
      const html = compiledHtml!;
      expect(html).toMatch(/<\/head>/);
      expect(textFromHtml(html)).toBe(wholeText(html));
      expect(textFromHtml(html).length).toBeGreaterThan(5);
    }
  });

  it.each([
    ['no head', '<html><body><p>Hi <b>there</b></p></body></html>'],
    ['no html or body at all', '<p>Hi</p><p>again</p>'],
    ['a closed head and no body', '<html><head><title>T</title></head><p>Hi</p></html>'],
    ['a <header> element and upper-case tags', '<HTML><HEAD><STYLE>p{}</STYLE></HEAD ><BODY class="b"><header>Top</header><p>Hi</p></BODY></HTML>'],
    ['a body attribute on a new line', '<html><head></head><body\n style="margin:0"><p>Hi</p></body></html>'],
  ])('gives the text of the whole document with %s', (_name, html) => {
    expect(textFromHtml(html)).toBe(wholeText(html));
  });
});
