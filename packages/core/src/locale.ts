/**
 * Locale matching for templates: an event's locale picks the exact template (`sv-SE`), then
 * the language (`sv`), then the template without locale.
 */

/** `sv_se` / `SV-se` → `sv-SE`; the language lower-case, a 2-letter region upper-case. */
export function normalizeLocale(locale: string): string {
  const [language = '', ...rest] = locale.trim().replace(/_/g, '-').split('-');
  return [language.toLowerCase(), ...rest.map((part) => (part.length === 2 ? part.toUpperCase() : part))].join('-');
}

/** The locales to look for, best first; '' is the template that serves every locale. */
export function localeCandidates(locale: string | undefined | null): string[] {
  if (!locale) return [''];
  const normalized = normalizeLocale(locale);
  const parts = normalized.split('-');
  const candidates: string[] = [];
  for (let i = parts.length; i > 0; i--) candidates.push(parts.slice(0, i).join('-'));
  candidates.push('');
  return candidates;
}
