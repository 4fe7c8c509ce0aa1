// `npm run migrate [-- --schema NAME]`: applies prisma/migrations to DATABASE_URL.
import { parseArgs } from 'node:util';
import { DEFAULT_DATABASE_URL } from './connection';
import { applyMigrations } from './migrate';

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const consoleIo: Io = { out: (l) => console.log(l), err: (l) => console.error(l) };

export async function runMigrateCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: Io = consoleIo,
): Promise<number> {
  try {
    const { values } = parseArgs({ args: argv, options: { schema: { type: 'string' } }, strict: true });
    const { applied } = await applyMigrations({
      databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
      schema: values.schema,
      log: io.out,
    });
    io.out(applied.length > 0 ? `migrate: applied ${applied.length} migration(s)` : 'migrate: database is up to date');
    return 0;
  } catch (err) {
    io.err(`migrate: ${oneLine(err)}`);
    const stack = (err as { stack?: unknown } | null)?.stack;
    if (env.DEBUG && typeof stack === 'string') io.err(stack);
    return 1;
  }
}

// Duck-typed: `instanceof Error` is false for errors from another realm (e.g. under jest).
function oneLine(err: unknown): string {
  const { message, errors } = (err ?? {}) as { message?: unknown; errors?: unknown[] };
  // Node reports a refused connection to a dual-stack host as an AggregateError with no message.
  if (!message && Array.isArray(errors) && errors.length > 0) return oneLine(errors[0]);
  const text = typeof message === 'string' && message ? message : String(err);
  return text.replace(/\s*\n\s*/g, ' ');
}

if (require.main === module) {
  void runMigrateCli(process.argv.slice(2), process.env).then((code) => {
    process.exitCode = code;
  });
}
