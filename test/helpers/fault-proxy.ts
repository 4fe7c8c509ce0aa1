/**
 * A TCP proxy between the worker and the SMTP sink, so a fault test can break the relay as a
 * network would, without changing the sink that counts what was delivered:
 * - `down()` closes the listener (connection refused, like a relay that is off) and closes
 *   every connection once it is between messages, as a relay shutting down does: cutting one
 *   after the sink took a message but before its 250 reached the sender would make a duplicate
 *   no sender can avoid, which is not what the outage tests. `up()` listens again on the
 *   same port.
 * - `stall()` holds everything the clients send (a relay that stopped answering: sends hang
 *   mid-dialogue); `unstall()` drops those hung connections, never passing what they held
 *   (their sender may be gone), and lets new traffic through.
 * - `afterMessage(hook)` runs `hook` once the sink has answered the end of a message's DATA and
 *   before that answer reaches the client: the message is in the sink, the sender does not
 *   know yet. Used to inject a fault "right after a send".
 */
import net from 'node:net';

export interface FaultProxy {
  port: number;
  /** `smtp://127.0.0.1:<port>`. */
  url: string;
  down(): Promise<void>;
  up(): Promise<void>;
  stall(): void;
  unstall(): void;
  /** Connections with client data held by `stall()` (a send hanging). */
  readonly hangingConnections: number;
  /** Runs `hook` before the next end-of-DATA reply passes (once, then cleared). */
  afterMessage(hook: () => Promise<void>): void;
  close(): Promise<void>;
}

interface Connection {
  client: net.Socket;
  upstream: net.Socket;
  held: Buffer[];
  /** The last bytes the client sent, to see the end-of-data marker across chunks. */
  tail: Buffer;
  dataEnded: boolean;
  /** Between MAIL FROM and the reply to the end of DATA. */
  inTransaction: boolean;
  closeWhenIdle: boolean;
}

const END_OF_DATA = Buffer.from('\r\n.\r\n');
const MAIL_FROM = /(^|\r\n)MAIL FROM:/i;

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const connections = new Set<Connection>();
  let stalled = false;
  let hook: (() => Promise<void>) | undefined;

  const toUpstream = (conn: Connection, chunk: Buffer) => {
    const seen = Buffer.concat([conn.tail, chunk]);
    if (!conn.inTransaction && MAIL_FROM.test(seen.toString('latin1'))) conn.inTransaction = true;
    if (seen.includes(END_OF_DATA)) conn.dataEnded = true;
    conn.tail = seen.subarray(Math.max(0, seen.length - (END_OF_DATA.length - 1)));
    conn.upstream.write(chunk);
  };

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const conn: Connection = { client, upstream, held: [], tail: Buffer.alloc(0), dataEnded: false, inTransaction: false, closeWhenIdle: false };
    const replied = (chunk: Buffer) => {
      client.write(chunk);
      conn.inTransaction = false;
      if (conn.closeWhenIdle) end();
    };
    connections.add(conn);
    client.on('data', (chunk: Buffer) => {
      if (stalled) conn.held.push(chunk);
      else toUpstream(conn, chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!conn.dataEnded) {
        client.write(chunk);
        return;
      }
      conn.dataEnded = false;
      const run = hook;
      hook = undefined;
      if (!run) {
        replied(chunk);
        return;
      }
      upstream.pause();
      void run()
        .catch((error) => process.stderr.write(`fault proxy: afterMessage hook failed: ${String(error)}\n`))
        .finally(() => {
          replied(chunk);
          upstream.resume();
        });
    });
    function end() {
      connections.delete(conn);
      client.destroy();
      upstream.destroy();
    }
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const port = await listen(0);
  let listening = true;

  const cut = (conn: Connection) => {
    connections.delete(conn);
    conn.client.destroy();
    conn.upstream.destroy();
  };

  /** Closes the listener; connections close once between messages (`cutNow`: at once). */
  const down = async (cutNow = false) => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const conn of connections) {
      if (cutNow || !conn.inTransaction) cut(conn);
      else conn.closeWhenIdle = true;
    }
    // A transaction that never ends (a stalled one) is cut all the same.
    const timer = setTimeout(() => [...connections].forEach(cut), 5_000);
    await closed;
    clearTimeout(timer);
  };

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    down,
    async up() {
      if (listening) return;
      await listen(port);
      listening = true;
    },
    stall() {
      stalled = true;
    },
    unstall() {
      stalled = false;
      for (const conn of connections) if (conn.held.length > 0) cut(conn);
    },
    get hangingConnections() {
      return [...connections].filter((conn) => conn.held.length > 0).length;
    },
    afterMessage(next) {
      hook = next;
    },
    close: () => down(true),
  };
}
