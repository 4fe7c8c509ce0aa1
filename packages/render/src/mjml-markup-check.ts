/**
 * A structural check of MJML markup, run before MJML sees it. MJML's parser (htmlparser2)
 * forgives everything and says nothing: an unclosed <mj-text> swallows the rest of the
 * document, a missing quote drops whole sections, Liquid tags between elements vanish.
 * This scanner reads the element structure the way MJML does and refuses those cases with
 * the line an operator has to fix. It does not judge attribute values or nesting rules;
 * MJML's own validator reports those as warnings.
 */
import { MJML_ELEMENTS, MJML_ENDING_ELEMENTS, MJML_TEXT_ELEMENTS } from './mjml-elements';
import { TemplateError, describeLocation } from './template-error';

const FIELD = 'mjml';
const TAG_NAME_AT = /[A-Za-z][A-Za-z0-9_:.-]*/y;
const ATTRIBUTE_NAME_AT = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;
const UNQUOTED_VALUE_AT = /[^\s"'=<>`]+/y;
const CLOSING_TAG_AT = /<\/\s*([A-Za-z][A-Za-z0-9_:.-]*)\s*>/y;
const WHITESPACE_AT = /\s*/y;

/** Throws a TemplateError (field `mjml`, with line and column) when the markup is broken. */
export function checkMjmlMarkup(source: string): void {
  new MarkupScanner(source).scan();
}

interface OpenElement {
  name: string;
  offset: number;
}

class MarkupScanner {
  private readonly lineStarts: number[] = [0];
  private readonly open: OpenElement[] = [];
  private pos = 0;
  private rootSeen = false;
  private rootClosed = false;

  constructor(private readonly src: string) {
    for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  scan(): void {
    const src = this.src;
    while (this.pos < src.length) {
      const lt = src.indexOf('<', this.pos);
      const textEnd = lt === -1 ? src.length : lt;
      if (textEnd > this.pos) this.text(this.pos, textEnd);
      if (lt === -1) break;
      if (src.startsWith('<!--', lt)) this.skipPast(lt, 4, '-->', 'comment');
      else if (src.startsWith('<![CDATA[', lt)) this.skipPast(lt, 9, ']]>', 'CDATA section');
      else if (src.startsWith('<?', lt) || src.startsWith('<!', lt)) this.skipPast(lt, 2, '>', 'declaration');
      else if (src[lt + 1] === '/') this.closingTag(lt);
      else if (/[A-Za-z]/.test(src[lt + 1] ?? '')) this.openingTag(lt);
      else {
        // A `<` not starting a tag is text to an HTML parser, and so to MJML.
        this.text(lt, lt + 1);
        this.pos = lt + 1;
      }
    }
    const unclosed = this.open.at(-1);
    if (unclosed) throw this.error(unclosed.offset, `<${unclosed.name}> is never closed (missing </${unclosed.name}>)`);
    if (!this.rootSeen) throw new TemplateError(FIELD, 'mjml: the template has no <mjml> element');
  }

  /** Text is dropped by MJML unless it is inside an element that uses it; Liquid tags there would vanish. */
  private text(start: number, end: number): void {
    const top = this.open.at(-1);
    if (top && MJML_TEXT_ELEMENTS.has(top.name)) return;
    const tagAt = this.src.indexOf('{%', start);
    if (tagAt === -1 || tagAt >= end) return;
    const where = this.open.length === 0 ? 'outside <mjml>…</mjml>' : `between MJML elements (inside <${top?.name}>)`;
    throw this.error(
      tagAt,
      `Liquid ${this.liquidSnippet(tagAt)} sits ${where}, where MJML drops it — wrap it in <mj-raw>…</mj-raw>`,
    );
  }

  private openingTag(lt: number): void {
    const src = this.src;
    TAG_NAME_AT.lastIndex = lt + 1;
    const rawName = TAG_NAME_AT.exec(src)?.[0] ?? '';
    const name = rawName.toLowerCase();
    const { end, selfClosing } = this.readAttributes(lt, name, lt + 1 + rawName.length);
    this.pos = end;

    if (name === 'mj-include') {
      throw this.error(lt, '<mj-include> is not supported: a template cannot read files — paste the included markup instead');
    }
    if (!MJML_ELEMENTS.has(name)) {
      const hint = name.startsWith('mj') ? '' : ' (HTML belongs inside <mj-text> or <mj-raw>)';
      throw this.error(lt, `<${name}> is not an MJML element${hint}`);
    }
    if (this.open.length === 0) {
      if (this.rootClosed) throw this.error(lt, `nothing may follow </mjml> (found <${name}>)`);
      if (name !== 'mjml') throw this.error(lt, `the template must start with <mjml> (found <${name}>)`);
      this.rootSeen = true;
    }
    if (selfClosing) return;
    if (MJML_ENDING_ELEMENTS.has(name)) this.pos = this.endOfRawContent(name, lt, end);
    else this.open.push({ name, offset: lt });
  }

  /** Reads `name="value" name='value' name=value name` up to `>` or `/>`, as htmlparser2 would. */
  private readAttributes(lt: number, name: string, from: number): { end: number; selfClosing: boolean } {
    const src = this.src;
    let p = from;
    for (;;) {
      p = this.skipWhitespace(p);
      if (p >= src.length) throw this.error(lt, `<${name}> is never terminated (missing ">")`);
      if (src.startsWith('/>', p)) return { end: p + 2, selfClosing: true };
      if (src[p] === '>') return { end: p + 1, selfClosing: false };
      ATTRIBUTE_NAME_AT.lastIndex = p;
      const attribute = ATTRIBUTE_NAME_AT.exec(src)?.[0];
      if (!attribute) throw this.malformedTag(lt, name, p);
      p = this.skipWhitespace(p + attribute.length);
      if (src[p] !== '=') continue;
      p = this.skipWhitespace(p + 1);
      const quote = src[p];
      if (quote === '"' || quote === "'") {
        const close = src.indexOf(quote, p + 1);
        if (close === -1) throw this.error(p, `the value of ${attribute} in <${name}> has no closing ${quote}`);
        p = close + 1;
      } else {
        UNQUOTED_VALUE_AT.lastIndex = p;
        const value = UNQUOTED_VALUE_AT.exec(src)?.[0];
        if (!value) throw this.malformedTag(lt, name, p);
        p += value.length;
      }
    }
  }

  /**
   * Content of mj-text, mj-button, mj-raw... is HTML that MJML copies as is; find where it
   * ends (the matching close, counting nested same-name elements as MJML's parser does).
   */
  private endOfRawContent(name: string, lt: number, from: number): number {
    const src = this.src;
    const tags = /<(\/?)([A-Za-z][A-Za-z0-9_:.-]*)/g;
    tags.lastIndex = from;
    let depth = 1;
    for (let m = tags.exec(src); m; m = tags.exec(src)) {
      if ((m[2] ?? '').toLowerCase() !== name) continue;
      if (m[1]) {
        CLOSING_TAG_AT.lastIndex = m.index;
        const close = CLOSING_TAG_AT.exec(src);
        if (close && --depth === 0) return m.index + close[0].length;
      } else if (!this.isSelfClosingAt(m.index + m[0].length)) {
        depth++;
      }
    }
    return this.fail(lt, `<${name}> is never closed (missing </${name}>)`);
  }

  private isSelfClosingAt(from: number): boolean {
    const src = this.src;
    let quote: string | undefined;
    for (let p = from; p < src.length; p++) {
      const c = src[p];
      if (quote) {
        if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') return src[p - 1] === '/';
    }
    return false;
  }

  private closingTag(lt: number): void {
    CLOSING_TAG_AT.lastIndex = lt;
    const m = CLOSING_TAG_AT.exec(this.src);
    if (!m) throw this.error(lt, `malformed closing tag ${this.snippet(lt)}`);
    const name = (m[1] ?? '').toLowerCase();
    this.pos = lt + m[0].length;
    const top = this.open.pop();
    if (!top) {
      throw this.error(lt, this.rootClosed ? `nothing may follow </mjml> (found </${name}>)` : `</${name}> closes nothing`);
    }
    if (top.name !== name) {
      throw this.error(
        lt,
        `</${name}> does not match <${top.name}> opened at line ${this.location(top.offset).line} — is </${top.name}> missing?`,
      );
    }
    if (this.open.length === 0) this.rootClosed = true;
  }

  private skipPast(start: number, openLength: number, terminator: string, what: string): void {
    const close = this.src.indexOf(terminator, start + openLength);
    if (close === -1) this.fail(start, `${what} is never closed (missing ${terminator})`);
    this.pos = close + terminator.length;
  }

  private skipWhitespace(p: number): number {
    WHITESPACE_AT.lastIndex = p;
    WHITESPACE_AT.exec(this.src);
    return WHITESPACE_AT.lastIndex;
  }

  private malformedTag(lt: number, name: string, at: number): TemplateError {
    if (this.src.startsWith('{%', at) || this.src.startsWith('{{', at)) {
      return this.error(
        at,
        `Liquid inside the <${name}> tag itself is not supported — put it inside an attribute value (name="{{ … }}")`,
      );
    }
    const near = this.location(at);
    const tagLine = this.location(lt).line;
    const where = near.line === tagLine ? `near ${this.snippet(at)}` : `near line ${near.line}: ${this.snippet(at)}`;
    return this.error(lt, `<${name}> is malformed ${where} — check the quotes around its attribute values`);
  }

  private liquidSnippet(at: number): string {
    const close = this.src.indexOf('%}', at);
    return close !== -1 && close - at < 80 ? this.src.slice(at, close + 2) : `${this.src.slice(at, at + 40)}…`;
  }

  private snippet(at: number): string {
    const text = this.src.slice(at, at + 24).replace(/\s+/g, ' ');
    return `\`${at + 24 < this.src.length ? `${text}…` : text}\``;
  }

  private location(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (this.lineStarts[low] ?? 0) + 1 };
  }

  private error(offset: number, message: string): TemplateError {
    const location = this.location(offset);
    // The message names the line only (what an editor's gutter shows); the column rides along.
    return new TemplateError(FIELD, `${describeLocation(FIELD, { line: location.line })}: ${message}`, location);
  }

  private fail(offset: number, message: string): never {
    throw this.error(offset, message);
  }
}
