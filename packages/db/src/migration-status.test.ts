import { compareMigrations, describeMissingMigrations, MigrationsMissingError } from './migration-status';

describe('compareMigrations', () => {
  it('names shipped migrations not applied as missing, and applied ones this build lacks as unknown', () => {
    expect(compareMigrations(['a_init', 'b_more'], ['a_init', 'c_newer'])).toEqual({ missing: ['b_more'], unknown: ['c_newer'] });
    expect(compareMigrations(['a_init'], ['a_init'])).toEqual({ missing: [], unknown: [] });
    expect(compareMigrations(['a_init', 'b_more'], [])).toEqual({ missing: ['a_init', 'b_more'], unknown: [] });
  });
});

it('tells the operator what to run, naming each missing migration', () => {
  expect(describeMissingMigrations(['a_init'])).toBe('the database lacks migration a_init shipped with this release: run npm run migrate');
  expect(new MigrationsMissingError(['a_init', 'b_more']).message).toMatch(/lacks migrations a_init, b_more .*run npm run migrate$/);
});
