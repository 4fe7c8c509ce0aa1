// A fast SMTP sink: accepts every message, drains the DATA stream without parsing it, and
// counts. Arrival times are kept so throughput can be computed over any window.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { SMTPServer } = require('smtp-server');

export async function startSmtpSink() {
  const arrivals = []; // performance.now() per message, in arrival order
  const recipients = new Set();
  const arrivalByRecipient = new Map(); // address → performance.now() of its first message
  let duplicates = 0;
  let bytes = 0;
  let waiters = [];

  const server = new SMTPServer({
    logger: false,
    secure: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    disableReverseLookup: true,
    size: 0,
    onData(stream, session, callback) {
      stream.on('data', (chunk) => {
        bytes += chunk.length;
      });
      stream.on('end', () => {
        const now = performance.now();
        arrivals.push(now);
        for (const rcpt of session.envelope.rcptTo) {
          if (recipients.has(rcpt.address)) duplicates++;
          else {
            recipients.add(rcpt.address);
            arrivalByRecipient.set(rcpt.address, now);
          }
        }
        const id = arrivals.length.toString(36);
        callback(null, `Ok: queued as B${id}`);
        if (waiters.length) {
          const count = arrivals.length;
          waiters = waiters.filter((w) => (count >= w.n ? (w.resolve(), false) : true));
        }
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.server.address();

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    get count() {
      return arrivals.length;
    },
    arrivals,
    arrivalByRecipient,
    get duplicates() {
      return duplicates;
    },
    get bytes() {
      return bytes;
    },
    /** Resolves once `n` messages arrived in total; rejects after `timeoutMs`. */
    waitFor(n, timeoutMs) {
      if (arrivals.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w.resolve !== done);
          reject(new Error(`the SMTP sink received ${arrivals.length} of ${n} messages within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        waiters.push({ n, resolve: done });
      });
    },
    reset() {
      arrivals.length = 0;
      recipients.clear();
      arrivalByRecipient.clear();
      duplicates = 0;
      bytes = 0;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
