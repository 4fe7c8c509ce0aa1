/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1/localhost, made
 * with the `openssl` CLI in a temporary directory, so test peers can speak real TLS and
 * clients can verify them without ever disabling verification.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  /** PEM of the CA certificate: trust this (https.Agent `ca`, or `NODE_EXTRA_CA_CERTS=caFile`). */
  ca: string;
  /** Path of the CA certificate file, for child processes via `NODE_EXTRA_CA_CERTS`. */
  caFile: string;
  /** PEM of the server's private key. */
  key: string;
  /** PEM of the server certificate (SAN: IP 127.0.0.1, DNS localhost). */
  cert: string;
  /** Removes the temporary directory (and with it `caFile`). */
  cleanup(): void;
}

export function createTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'mc-test-ca-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  writeFileSync(file('ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
  writeFileSync(
    file('server.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nauthorityKeyIdentifier=keyid\n',
  );
  openssl('req', '-new', ...ec, '-keyout', file('ca.key'), '-out', file('ca.csr'), '-subj', '/CN=Message Center test CA');
  openssl('x509', '-req', '-in', file('ca.csr'), '-signkey', file('ca.key'), '-days', '2', '-extfile', file('ca.ext'), '-out', file('ca.crt'));
  openssl('req', '-new', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1');
  openssl(
    'x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-set_serial', '2',
    '-days', '2', '-extfile', file('server.ext'), '-out', file('server.crt'),
  );

  return {
    ca: readFileSync(file('ca.crt'), 'utf8'),
    caFile: file('ca.crt'),
    key: readFileSync(file('server.key'), 'utf8'),
    cert: readFileSync(file('server.crt'), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
