import { runsOutsideTransaction } from './migrate';

describe('runsOutsideTransaction', () => {
  it('takes the marker among the leading comments only', () => {
    expect(runsOutsideTransaction('-- mc:no-transaction\nCREATE INDEX CONCURRENTLY "i" ON "t"("c");')).toBe(true);
    expect(runsOutsideTransaction('\n-- Why: no write lock.\r\n  -- mc:no-transaction\r\nCREATE INDEX CONCURRENTLY "i" ON "t"("c");')).toBe(true);
    expect(runsOutsideTransaction('CREATE TABLE "t" ("c" INT);\n-- mc:no-transaction\n')).toBe(false);
    expect(runsOutsideTransaction('-- mc:no-transactions\nSELECT 1;')).toBe(false);
    expect(runsOutsideTransaction('SELECT 1;')).toBe(false);
  });
});
