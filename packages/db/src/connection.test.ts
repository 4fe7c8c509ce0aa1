import { schemaOf, withSchema } from './connection';

describe('schemaOf', () => {
  it('reads the schema parameter', () => {
    expect(schemaOf('postgresql://u@h:5432/db?schema=t_abc')).toBe('t_abc');
  });

  it('defaults to public', () => {
    expect(schemaOf('postgresql://u@h:5432/db')).toBe('public');
    expect(schemaOf('postgresql://u@h:5432/db?schema=')).toBe('public');
    expect(schemaOf('host=localhost dbname=test')).toBe('public');
  });
});

describe('withSchema', () => {
  it('sets or replaces the schema parameter and keeps the others', () => {
    const url = withSchema('postgresql://u:p@h:5432/db?sslmode=disable&schema=old', 't_1');
    expect(schemaOf(url)).toBe('t_1');
    expect(new URL(url).searchParams.get('sslmode')).toBe('disable');
    expect(url.startsWith('postgresql://u:p@h:5432/db?')).toBe(true);
  });
});
