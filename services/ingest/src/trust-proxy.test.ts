/** TRUST_PROXY as Fastify reads it: which address a request is counted and logged under. */
import Fastify from 'fastify';
import { loadConfig } from '@mc/config';
import { trustProxyOption } from './app';

async function clientAddress(trustProxy: string | undefined, remoteAddress: string, forwardedFor?: string): Promise<string> {
  const app = Fastify({ trustProxy: trustProxyOption(loadConfig({ TRUST_PROXY: trustProxy }).ingest.trustProxy) });
  app.get('/ip', async (request) => request.ip);
  const response = await app.inject({
    method: 'GET',
    url: '/ip',
    remoteAddress,
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });
  await app.close();
  return response.body;
}

test.each([
  // off by default: a client cannot choose its own address
  [undefined, '203.0.113.5', '6.6.6.6', '203.0.113.5'],
  ['false', '203.0.113.5', '6.6.6.6', '203.0.113.5'],
  // a listed proxy is believed, anyone else is not
  ['10.0.0.0/8', '10.1.2.3', '6.6.6.6', '6.6.6.6'],
  ['10.0.0.0/8', '203.0.113.5', '6.6.6.6', '203.0.113.5'],
  ['10.0.0.1,10.0.0.2', '10.0.0.2', '6.6.6.6, 10.0.0.1', '6.6.6.6'],
  ['loopback', '127.0.0.1', '6.6.6.6', '6.6.6.6'],
  // a hop count: that many proxies nearest the service, whatever their address
  ['1', '10.1.2.3', '1.1.1.1, 6.6.6.6', '6.6.6.6'],
  ['2', '10.1.2.3', '1.1.1.1, 6.6.6.6', '1.1.1.1'],
  ['true', '10.1.2.3', '1.1.1.1, 6.6.6.6', '1.1.1.1'],
])('TRUST_PROXY=%p: from %s with X-Forwarded-For %p the client is %s', async (trustProxy, remote, forwarded, expected) => {
  expect(await clientAddress(trustProxy, remote, forwarded)).toBe(expected);
});
