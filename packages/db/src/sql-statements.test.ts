import { splitSqlStatements } from './sql-statements';

describe('splitSqlStatements', () => {
  it('splits on semicolons and drops comments and empty statements', () => {
    expect(
      splitSqlStatements(`-- mc:no-transaction
-- why this runs outside a transaction
CREATE INDEX CONCURRENTLY "a_idx" ON "a"("x");;
/* a block /* nested */ comment */ DROP INDEX CONCURRENTLY "b_idx";
`),
    ).toEqual(['CREATE INDEX CONCURRENTLY "a_idx" ON "a"("x")', 'DROP INDEX CONCURRENTLY "b_idx"']);
  });

  it('never splits inside strings, quoted identifiers or dollar-quoted bodies', () => {
    const fn = `CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN PERFORM 1; RETURN 2; END $body$`;
    expect(
      splitSqlStatements(
        `INSERT INTO "t;1" VALUES ('a;b', 'it''s -- not a comment', E'x\\';y');\n${fn};\nDO $$ BEGIN NULL; END $$;\nSELECT $1`,
      ),
    ).toEqual([
      `INSERT INTO "t;1" VALUES ('a;b', 'it''s -- not a comment', E'x\\';y')`,
      fn,
      'DO $$ BEGIN NULL; END $$',
      'SELECT $1',
    ]);
  });

  it('refuses an unterminated string rather than guessing', () => {
    expect(() => splitSqlStatements(`SELECT 'oops; SELECT 1;`)).toThrow('unterminated string in migration script');
    expect(() => splitSqlStatements('DO $x$ BEGIN END;')).toThrow('unterminated dollar-quoted string $x$');
  });
});
