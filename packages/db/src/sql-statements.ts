/**
 * Splits a migration script into its statements, for the migrations that must run outside a
 * transaction: Postgres runs a multi-statement query string as one implicit transaction, where
 * `CREATE INDEX CONCURRENTLY` and friends are refused, so each statement is sent on its own.
 *
 * It knows enough SQL lexing to never split inside a string ('...', E'...'), a quoted
 * identifier ("..."), a dollar-quoted body ($$...$$, $tag$...$tag$) or a comment (-- and
 * nested /* *\/); comments between statements are dropped, empty statements skipped.
 */
export function splitSqlStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const flush = () => {
    const statement = current.trim();
    if (statement !== '') statements.push(statement);
    current = '';
  };
  while (i < script.length) {
    const ch = script[i]!;
    const next = script[i + 1];
    if (ch === '-' && next === '-') {
      const end = script.indexOf('\n', i);
      i = end === -1 ? script.length : end + 1;
      current += '\n';
      continue;
    }
    if (ch === '/' && next === '*') {
      i = skipBlockComment(script, i);
      current += ' ';
      continue;
    }
    if (ch === "'" || ch === '"') {
      const end = quotedEnd(script, i, ch);
      current += script.slice(i, end);
      i = end;
      continue;
    }
    if (ch === '$') {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i));
      // `$1` (a parameter) or a `$` inside an identifier is not a dollar quote.
      if (tag && !/[A-Za-z0-9_]/.test(script[i - 1] ?? '')) {
        const close = script.indexOf(tag[0], i + tag[0].length);
        if (close === -1) throw new Error(`unterminated dollar-quoted string ${tag[0]} in migration script`);
        const end = close + tag[0].length;
        current += script.slice(i, end);
        i = end;
        continue;
      }
    }
    if (ch === ';') {
      flush();
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  flush();
  return statements;
}

/** Index just past the closing quote; a doubled quote is an escaped one ('it''s', "a""b"). */
function quotedEnd(script: string, start: number, quote: string): number {
  // E'...' strings also take backslash escapes.
  const backslashes = quote === "'" && /[eE]/.test(script[start - 1] ?? '') && !/[A-Za-z0-9_]/.test(script[start - 2] ?? '');
  let i = start + 1;
  while (i < script.length) {
    const ch = script[i]!;
    if (backslashes && ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (script[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  throw new Error(`unterminated ${quote === "'" ? 'string' : 'quoted identifier'} in migration script`);
}

/** Index just past a block comment, which Postgres lets nest. */
function skipBlockComment(script: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < script.length) {
    if (script[i] === '/' && script[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (script[i] === '*' && script[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  throw new Error('unterminated block comment in migration script');
}
