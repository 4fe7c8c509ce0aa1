// Measures what an unauthenticated flood costs the SOAP door (issue "The doors"): a 4.6 MB body
// with 200,000 xmlns attributes on one element, sent without credentials and with a wrong
// sessiontoken placed before the attributes (and, for comparison, with a good one). Starts the
// built plugin (dist) on 127.0.0.1:0 and posts over a real socket; the intake is a stand-in
// that stores nothing and answers id 1, so "HTTP 200" means the body got through.
// Run: node scripts/ensure-ready.mjs && node services/ingest/src/soap/__tests__/door-bench.mjs
import { createRequire } from 'node:module';
import { request } from 'node:http';

const require = createRequire(import.meta.url);
const fastify = require('fastify');
const { soapRoutes } = require('../../../dist/soap/index.js');

const ATTRIBUTES = 200_000;
const flood = Array.from({ length: ATTRIBUTES }, (_, i) => ` xmlns:a${i}="urn:abc"`).join('');
const envelope = (token) =>
  '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:nms:rtEvent"><soapenv:Body>' +
  `<urn:PushEvent>${token === undefined ? '' : `<urn:sessiontoken>${token}</urn:sessiontoken>`}<urn:domEvent>` +
  `<rtEvent type="ORDER_CONFIRMATION" email="a@example.org"${flood}/></urn:domEvent></urn:PushEvent></soapenv:Body></soapenv:Envelope>`;

const app = fastify({ bodyLimit: 5 * 1024 * 1024 });
await app.register(soapRoutes, {
  intake: { accept: async (items) => items.map(() => ({ ok: true, id: '1', duplicate: false })) },
  verifyApiKey: async () => undefined,
  operators: [{ login: 'mc', password: 's3cret' }],
  bodyLimitBytes: 5 * 1024 * 1024,
});
const address = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));

function post(body) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      { host: address.hostname, port: address.port, method: 'POST', path: '/nl/jsp/soaprouter.jsp',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"nms:rtEvent#PushEvent"', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: res.statusCode, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const cases = [
  ['no credentials', envelope(undefined)],
  ['wrong sessiontoken before the attributes', envelope('mc/wrong')],
  ['good sessiontoken before the attributes', envelope('mc/s3cret')],
];
for (const [label, body] of cases) {
  const runs = [];
  let last;
  for (let i = 0; i < 5; i++) {
    last = await post(body);
    runs.push(last.ms);
  }
  const detail = /<detail[^>]*>([^<]*)<\/detail>/.exec(last.text)?.[1];
  console.log(`${label}: ${(Buffer.byteLength(body) / 1e6).toFixed(2)} MB → HTTP ${last.status} "${detail}"; ms per run: ${runs.map((m) => m.toFixed(0)).join(', ')}`);
}
await app.close();
