/**
 * MJML → HTML, run once per publish (and per preview), never per message.
 *
 * Policy: what the MJML tool itself renders must publish. MJML's validator findings on
 * attributes and nesting (`padding-top="20"` without a unit, `font-size` on mj-body) come
 * back as warnings with their line. Refused: an element MJML does not know (a typo like
 * <mj-txt> would silently vanish from the email), markup MJML cannot parse, and Liquid
 * that would not survive compilation.
 */
import type mjml2htmlType from 'mjml';
import { checkMjmlMarkup } from './mjml-markup-check';
import { TemplateError, describeLocation, type TemplateWarning } from './template-error';

const FIELD = 'mjml';

type Mjml2Html = typeof mjml2htmlType;

/**
 * MJML is loaded on the first compile: the worker imports this package only to render Liquid
 * and never compiles, and MJML is half of what the import cost it (measured: 51 MB of RSS
 * with MJML, 26 MB without).
 */
let mjml2html: Mjml2Html | undefined;
// A lazy require: mjml is CommonJS and exports the function itself.
const loadMjml = (): Mjml2Html => (mjml2html ??= require('mjml') as Mjml2Html);

const MJML_OPTIONS: NonNullable<Parameters<Mjml2Html>[1]> = {
  validationLevel: 'soft',
  // Minifying and beautifying rewrite markup around Liquid; plain output keeps it intact.
  minify: false,
  beautify: false,
  // mj-include reads the server's disk; the markup check already refuses it.
  ignoreIncludes: true,
};

/** mjml-validator's wording for an unregistered element (rule validTag). */
const UNKNOWN_ELEMENT = /^Element (\S+) doesn't exist or is not registered/;

export interface MjmlCompileResult {
  html: string;
  warnings: TemplateWarning[];
}

export async function compileMjml(source: string): Promise<MjmlCompileResult> {
  checkMjmlMarkup(source);
  let result: Awaited<ReturnType<Mjml2Html>>;
  try {
    result = await loadMjml()(source, MJML_OPTIONS);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new TemplateError(FIELD, `mjml: MJML cannot compile this template: ${detail}`, {}, { cause: err });
  }
  const warnings: TemplateWarning[] = [];
  for (const issue of result.errors) {
    // Messages carry the server's file path in `formattedMessage`; use the parts instead.
    const line = typeof issue.line === 'number' ? issue.line : undefined;
    const unknown = UNKNOWN_ELEMENT.exec(issue.message);
    if (unknown) {
      throw new TemplateError(FIELD, `${describeLocation(FIELD, { line })}: <${unknown[1]}> is not an MJML element`, { line });
    }
    const warning: TemplateWarning = { field: FIELD, message: `<${issue.tagName}> ${issue.message.trim()}` };
    if (line !== undefined) warning.line = line;
    warnings.push(warning);
  }
  return { html: result.html, warnings };
}
