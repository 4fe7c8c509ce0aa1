// HTTP load against the ingest service: undici's request() over a keep-alive Agent with one
// connection per concurrent client, so connection set-up is not part of what is measured.
import { createRequire } from 'node:module';
import { nowMs } from './stats.mjs';

const require = createRequire(import.meta.url);
const { Agent, request } = require('undici');

export function createClient(baseUrl, apiKey, connections) {
  const agent = new Agent({ connections, pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  return {
    /** POSTs a prepared JSON string; returns status, parsed body and latency in ms. */
    async post(path, json) {
      const started = nowMs();
      const response = await request(`${baseUrl}${path}`, { method: 'POST', dispatcher: agent, headers, body: json });
      const text = await response.body.text();
      const latencyMs = nowMs() - started;
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      return { status: response.statusCode, body, latencyMs };
    },
    close: () => agent.close(),
  };
}

/**
 * Runs `clients` loops; each takes the next job index until `jobs` are taken (or, with
 * `untilMs`, until that time passes) and calls `fn(index)`. Returns the wall time in ms.
 */
export async function runLoops({ clients, jobs = Infinity, untilMs = Infinity, fn }) {
  let next = 0;
  const started = nowMs();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        if (next >= jobs || nowMs() >= untilMs) return;
        await fn(next++);
      }
    }),
  );
  return nowMs() - started;
}
