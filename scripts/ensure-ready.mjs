// Makes a checkout runnable, doing only what is out of date, so `npm start` and `npm test`
// work on a fresh clone and stay fast afterwards:
//   1. install dependencies from the lockfile when node_modules is missing or older than it;
//   2. generate the Prisma client when schema.prisma changed;
//   3. compile the TypeScript project references (incremental);
//   4. build the operator console (vite) when its sources changed since the last build.
// Plain Node on purpose: it must run before any dependency is installed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (...parts) => path.join(root, ...parts);
const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);

function run(command, args, env = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`\n✗ ${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
}

// npm writes node_modules/.package-lock.json on every install: older than the lockfile → stale.
if (mtime(at('node_modules', '.package-lock.json')) < mtime(at('package-lock.json'))) {
  console.log('• installing dependencies from the lockfile (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

const client = at('packages', 'db', 'src', 'generated', 'prisma', 'client.ts');
if (mtime(client) < mtime(at('prisma', 'schema.prisma'))) {
  console.log('• generating the Prisma client…');
  // `prisma generate` needs no engine, but the CLI looks for the schema engine's file first:
  // pointing it at any existing file keeps it from trying to download one.
  run(process.execPath, [at('node_modules', 'prisma', 'build', 'index.js'), 'generate'], {
    PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  });
}

run(process.execPath, [at('node_modules', 'typescript', 'bin', 'tsc'), '-b', 'tsconfig.json']);

// The console's build is stamped with a hash of its sources (not mtimes: a checkout or a
// branch switch rewrites those), so an unchanged console is not rebuilt.
const consoleDir = at('packages', 'console');
const consoleStamp = path.join(consoleDir, 'dist', '.source-hash');
const consoleSources = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? consoleSources(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
const consoleHash = createHash('sha256');
for (const file of [...consoleSources(path.join(consoleDir, 'src')), ...['index.html', 'vite.config.mjs', 'package.json'].map((f) => path.join(consoleDir, f))].sort()) {
  consoleHash.update(path.relative(consoleDir, file)).update('\0').update(readFileSync(file)).update('\0');
}
const sourceHash = consoleHash.digest('hex');
if (!existsSync(consoleStamp) || readFileSync(consoleStamp, 'utf8') !== sourceHash) {
  console.log('• building the operator console (vite build)…');
  const vite = spawnSync(process.execPath, [at('node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: consoleDir, stdio: 'inherit' });
  if (vite.status !== 0) {
    console.error(`\n✗ vite build of packages/console failed (exit ${vite.status ?? vite.signal})`);
    process.exit(vite.status || 1);
  }
  writeFileSync(consoleStamp, sourceHash);
}
