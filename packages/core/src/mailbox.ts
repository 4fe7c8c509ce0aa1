/**
 * The one-mailbox rule for sender headers (`from`, `replyTo`, MAIL_FROM): the value must be
 * exactly one RFC 5322 mailbox — `addr@domain` or `Display Name <addr@domain>` — never a
 * group, a list or an empty address. A rendered `from` like `{{ ctx.shop }} <no-reply@...>`
 * would otherwise let the data add an address of its choosing (`evil@x.example, Shop`), and
 * nodemailer takes the first address of a list as the envelope sender.
 *
 * The result is structured on purpose: the sender is handed to nodemailer as
 * `{ name, address }`, so nodemailer never parses the text again and cannot read it otherwise.
 */

/**
 * An addr-spec as `isValidEmail` reads it, except that a one-label domain (`no-reply@localhost`,
 * the dev default) is allowed: a sender's domain is the operator's choice, not a recipient's.
 */
const ADDRESS = /^[^\s@<>()[\]\\,;:"]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const isValidAddress = (address: string) => ADDRESS.test(address);

export interface Mailbox {
  /** Display name, unquoted; '' when there is none. */
  name: string;
  address: string;
}

export type MailboxResult = { ok: true; mailbox: Mailbox } | { ok: false; problem: string };

const CONTROL = /[\u0000-\u001F\u007F\u0085\u2028\u2029]/;

/**
 * Reads one mailbox. Display names may be quoted (`"Shop, Paris" <a@b.example>`, with `\"`
 * escapes) or plain words; outside quotes the RFC 5322 specials that build lists, groups and
 * routes (`, ; : < > @ [ ] \ "`) are refused, as are comments' parentheses.
 */
export function parseMailbox(value: string): MailboxResult {
  const fail = (problem: string): MailboxResult => ({ ok: false, problem });
  if (CONTROL.test(value)) return fail('contains a control character or line break');
  const text = value.trim();
  if (text === '') return fail('is empty');

  const unquoted = outsideQuotes(text);
  if (unquoted.includes(':')) return fail('is a group, not one mailbox');
  if (/[,;]/.test(unquoted) || (unquoted.match(/</g)?.length ?? 0) > 1) return fail('names more than one address');

  if (unquoted.includes('>') && !unquoted.includes('<')) return fail('has a ">" without "<"');

  if (!text.includes('<') && !text.includes('>')) {
    return isValidAddress(text) ? { ok: true, mailbox: { name: '', address: text } } : fail(`"${text}" is not an email address`);
  }

  // name-addr: [display-name] "<" addr-spec ">", and nothing after it.
  let name = '';
  let i = 0;
  let sawQuoted = false;
  let plain = '';
  while (i < text.length && text[i] !== '<') {
    const c = text[i]!;
    if (c === '"') {
      if (sawQuoted || plain.trim() !== '') return fail('has a display name that is not one quoted string or one phrase');
      sawQuoted = true;
      i++;
      let closed = false;
      while (i < text.length) {
        const q = text[i]!;
        if (q === '\\' && i + 1 < text.length) {
          name += text[i + 1];
          i += 2;
          continue;
        }
        if (q === '"') {
          closed = true;
          i++;
          break;
        }
        name += q;
        i++;
      }
      if (!closed) return fail('has an unterminated quoted display name');
      continue;
    }
    if (c === ',' || c === ';') return fail('names more than one address');
    if (c === ':') return fail('is a group, not one mailbox');
    if (c === '>') return fail('has a ">" without "<"');
    if ('@[]\\()'.includes(c)) return fail(`has ${JSON.stringify(c)} in its display name (quote the name)`);
    if (sawQuoted && c.trim() !== '') return fail('has a display name that is not one quoted string or one phrase');
    plain += c;
    i++;
  }
  if (i >= text.length) return fail('has a ">" without "<"');
  const close = text.indexOf('>', i);
  if (close < 0) return fail('has a "<" without ">"');
  const address = text.slice(i + 1, close).trim();
  const rest = text.slice(close + 1).trim();
  if (rest !== '') return rest.startsWith(',') || rest.includes('<') ? fail('names more than one address') : fail(`has "${rest}" after the address`);
  if (address === '') return fail('has an empty address');
  if (address.includes(',') || address.includes(';')) return fail('names more than one address');
  if (!isValidAddress(address)) return fail(`"${address}" is not an email address`);
  name = sawQuoted ? name : plain.replace(/\s+/g, ' ').trim();
  return { ok: true, mailbox: { name, address } };
}

/** The text with quoted strings blanked out, to look for list and group separators. */
function outsideQuotes(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"?/g, '""');
}

/** Undefined when `value` is exactly one mailbox, otherwise why not (`names more than one address`). */
export function mailboxProblem(value: string): string | undefined {
  const result = parseMailbox(value);
  return result.ok ? undefined : result.problem;
}
