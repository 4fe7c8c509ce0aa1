/**
 * Stands in for Amazon SNS towards an HTTP(S) subscriber: a signing key and certificate made
 * for the test (openssl), messages signed as SNS signs them (SignatureVersion 2,
 * SHA256withRSA over the documented fields), and a local server that answers what the
 * subscriber downloads from `sns.<region>.amazonaws.com` — the certificate, a SubscribeURL —
 * reached through an https.Agent that connects there instead (plain HTTP on loopback). The
 * server counts what was fetched, so a test can tell that a refusal fetched nothing.
 */
import { execFileSync } from 'node:child_process';
import { createSign, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type RequestOptions } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';

export interface SnsFake {
  region: string;
  /** `https://sns.<region>.amazonaws.com/SimpleNotificationService-<32 hex>.pem` */
  certUrl: string;
  /** Routes every https request to the local server (give it to the app as its SNS agent). */
  agent: https.Agent;
  /** Paths requested from the local server, in order. */
  fetched: string[];
  sign(message: Record<string, string>): Record<string, string>;
  notification(topicArn: string, body: unknown, extra?: Record<string, string>): Record<string, string>;
  subscriptionConfirmation(topicArn: string, subscribeUrl: string): Record<string, string>;
  close(): Promise<void>;
}

const SIGNED_FIELDS: Record<string, string[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

export async function startSnsFake(region = 'eu-west-1'): Promise<SnsFake> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-sns-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=sns.amazonaws.com'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  rmSync(dir, { recursive: true, force: true });

  const certPath = `/SimpleNotificationService-${randomBytes(16).toString('hex')}.pem`;
  const fetched: string[] = [];
  const server = http.createServer((request, response) => {
    fetched.push(request.url ?? '');
    if (request.url === certPath) return response.end(cert);
    if (request.url?.startsWith('/?Action=ConfirmSubscription')) return response.end('<ConfirmSubscriptionResponse/>');
    response.statusCode = 404;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  class LocalAgent extends https.Agent {
    override createConnection(_options: RequestOptions, _callback?: (error: Error | null, stream: Duplex) => void): Duplex {
      return net.connect(port, '127.0.0.1');
    }
  }
  const agent = new LocalAgent({ keepAlive: false });

  const sign = (message: Record<string, string>) => {
    const signer = createSign('RSA-SHA256');
    for (const field of SIGNED_FIELDS[message['Type']!] ?? []) {
      if (message[field] !== undefined) signer.update(`${field}\n${message[field]}\n`);
    }
    return { ...message, Signature: signer.sign(key, 'base64') };
  };
  const base = (type: string, topicArn: string) => ({
    Type: type,
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Timestamp: new Date().toISOString(),
    SignatureVersion: '2',
    SigningCertURL: `https://sns.${region}.amazonaws.com${certPath}`,
  });

  return {
    region,
    certUrl: `https://sns.${region}.amazonaws.com${certPath}`,
    agent,
    fetched,
    sign,
    notification: (topicArn, body, extra = {}) =>
      sign({ ...base('Notification', topicArn), Message: typeof body === 'string' ? body : JSON.stringify(body), ...extra }),
    subscriptionConfirmation: (topicArn, subscribeUrl) =>
      sign({
        ...base('SubscriptionConfirmation', topicArn),
        Message: `You have chosen to subscribe to the topic ${topicArn}.`,
        Token: randomBytes(32).toString('hex'),
        SubscribeURL: subscribeUrl,
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
