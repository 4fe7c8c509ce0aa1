/**
 * Turns whatever a library rejected with into one line a person can act on, for the
 * `error` of an outcome (it ends up in the delivery log).
 */
const MAX_LENGTH = 500;

export function errorText(err: unknown): string {
  let text: string;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    text = typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  } else {
    text = String(err);
  }
  text = text.replace(/\s+/g, ' ').trim() || 'unknown error';
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 1)}…` : text;
}
