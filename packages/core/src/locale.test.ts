import { localeCandidates, normalizeLocale } from './locale';

describe('locales', () => {
  it('normalizes case and separators', () => {
    expect(normalizeLocale('sv_se')).toBe('sv-SE');
    expect(normalizeLocale('EN')).toBe('en');
  });
  it('falls back from region to language to no locale', () => {
    expect(localeCandidates('sv-SE')).toEqual(['sv-SE', 'sv', '']);
    expect(localeCandidates('sv')).toEqual(['sv', '']);
    expect(localeCandidates(undefined)).toEqual(['']);
  });
});
