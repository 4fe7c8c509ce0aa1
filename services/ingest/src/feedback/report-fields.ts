/**
 * The field blocks of `message/delivery-status` (RFC 3464) and `message/feedback-report`
 * (RFC 5965): header-style `Name: value` lines, folded lines continued by leading white space,
 * blocks separated by blank lines (a DSN's per-message block, then one per recipient).
 */

/** Field names lower-cased; a repeated field keeps its first value. */
export type FieldBlock = Readonly<Record<string, string>>;

export function parseFieldBlocks(text: string): FieldBlock[] {
  const blocks: Record<string, string>[] = [];
  let block: Record<string, string> | undefined;
  let last: string | undefined;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line.trim() === '') {
      block = undefined;
      last = undefined;
      continue;
    }
    if (/^[ \t]/.test(line)) {
      if (block && last) block[last] = `${block[last]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!block) blocks.push((block = {}));
    last = name;
    if (!(name in block)) block[name] = line.slice(colon + 1).trim();
    else last = undefined; // a repeat's continuation lines belong to the ignored repeat
  }
  return blocks;
}

/** `rfc822; ada@example.test` → `ada@example.test` (the address-type prefix dropped). */
export function typedValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const semicolon = value.indexOf(';');
  const bare = (semicolon >= 0 ? value.slice(semicolon + 1) : value).trim();
  return bare.replace(/^<|>$/g, '') || undefined;
}
