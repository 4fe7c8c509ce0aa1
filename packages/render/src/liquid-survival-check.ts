/**
 * Checks that the Liquid written in an MJML template is still in the HTML MJML produced.
 * MJML copies element content verbatim but owns attributes: it may drop one it does not
 * output (a width it recomputes, an mj-class value overridden by the element) or rewrite
 * it. A lost `{% %}` tag changes what the template does (an `{% if %}` without its body);
 * a lost `{{ }}` only loses a value.
 */
import { TokenKind, Tokenizer, type Liquid, type TopLevelToken } from 'liquidjs';

export interface LostLiquid {
  kind: 'tag' | 'output';
  /** As written in the MJML, e.g. `{{ ctx.width }}`. */
  text: string;
  line: number;
  column: number;
}

/**
 * Liquid tokens of `source` with no counterpart in `compiled`, in source order. Matching is
 * by text with whitespace collapsed and by count (MJML may repeat a token — a background
 * URL goes into both the VML and the CSS — but must not lose one).
 */
export function findLostLiquid(engine: Liquid, source: string, compiled: string): LostLiquid[] {
  const available = new Map<string, number>();
  for (const token of liquidTokens(engine, compiled)) {
    const key = tokenKey(token);
    available.set(key, (available.get(key) ?? 0) + 1);
  }
  const lost: LostLiquid[] = [];
  for (const token of liquidTokens(engine, source)) {
    const key = tokenKey(token);
    const count = available.get(key) ?? 0;
    if (count > 0) {
      available.set(key, count - 1);
      continue;
    }
    const [line = 0, column = 0] = token.getPosition();
    lost.push({ kind: token.kind === TokenKind.Tag ? 'tag' : 'output', text: token.getText(), line, column });
  }
  return lost;
}

function liquidTokens(engine: Liquid, text: string): TopLevelToken[] {
  const { operators, groupedExpressions } = engine.options;
  return new Tokenizer(text, operators, undefined, undefined, groupedExpressions)
    .readTopLevelTokens(engine.options)
    .filter((token) => token.kind === TokenKind.Tag || token.kind === TokenKind.Output);
}

function tokenKey(token: TopLevelToken): string {
  return `${token.kind}:${token.getText().replace(/\s+/g, ' ')}`;
}
