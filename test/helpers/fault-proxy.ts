/**
 * A TCP proxy between the worker and the SMTP sink, so a fault test can break the relay as a
 * network would, without changing the sink that counts what was delivered:
 * - `down()` closes the listener and cuts every connection (connection refused, like a relay
 *   that is off); `up()` listens again on the same port.
 * - `stall()` holds everything the clients send (a relay that stopped answering: sends hang
 *   mid-dialogue); `unstall()` lets it through in order.
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
}

const END_OF_DATA = Buffer.from('\r\n.\r\n');

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const connections = new Set<Connection>();
  let stalled = false;
  let hook: (() => Promise<void>) | undefined;

  const toUpstream = (conn: Connection, chunk: Buffer) => {
    const seen = Buffer.concat([conn.tail, chunk]);
    if (seen.includes(END_OF_DATA)) conn.dataEnded = true;
    conn.tail = seen.subarray(Math.max(0, seen.length - (END_OF_DATA.length - 1)));
    conn.upstream.write(chunk);
  };

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const conn: Connection = { client, upstream, held: [], tail: Buffer.alloc(0), dataEnded: false };
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
        client.write(chunk);
        return;
      }
      upstream.pause();
      void run()
        .catch((error) => process.stderr.write(`fault proxy: afterMessage hook failed: ${String(error)}\n`))
        .finally(() => {
          client.write(chunk);
          upstream.resume();
        });
    });
    const end = () => {
      connections.delete(conn);
      client.destroy();
      upstream.destroy();
    };
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

  const down = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const conn of connections) {
      conn.client.destroy();
      conn.upstream.destroy();
    }
    connections.clear();
    await closed;
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
      for (const conn of connections) {
        for (const chunk of conn.held.splice(0)) toUpstream(conn, chunk);
      }
    },
    get hangingConnections() {
      return [...connections].filter((conn) => conn.held.length > 0).length;
    },
    afterMessage(next) {
      hook = next;
    },
    close: down,
  };
}
