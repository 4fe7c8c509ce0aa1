/**
 * One HTTP POST of a webhook: the outbound policy checked on the URL (again: it may have been
 * stored under another policy) and on the address connected to (the outbound agent, against
 * DNS rebinding), a hard time limit, no redirects followed (a 3xx is a failure like any
 * non-2xx), and the answer's body read only so far as to free the connection.
 */
import http from 'node:http';
import https from 'node:https';
import { checkOutboundUrl, type OutboundPolicy } from '@mc/core';
import { createOutboundAgent, isOutboundPolicyError, parseRetryAfter } from '@mc/channels';

export interface WebhookPostResult {
  /** The answer's status, or undefined when there was none (refused, timed out, connection failed). */
  status?: number;
  /** Retry-After of the answer, in ms. */
  retryAfterMs?: number;
  /** Why it failed, in a sentence; undefined on a 2xx. */
  error?: string;
  /** The outbound policy refused the destination: retrying will not help. */
  refused?: boolean;
}

export type WebhookPoster = (url: string, body: string, headers: Record<string, string>) => Promise<WebhookPostResult>;

const MAX_ANSWER_BYTES = 64 * 1024;

export function createWebhookPoster(options: { policy: OutboundPolicy; timeoutMs: number; ca?: string | Buffer }): WebhookPoster {
  const httpsAgent = createOutboundAgent({ policy: options.policy, keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) });
  // Plain http only reaches destinations the operator exempted (checkOutboundUrl refuses the rest).
  const httpAgent = new http.Agent({ keepAlive: true });
  return (url, body, headers) => {
    const refusal = checkOutboundUrl(url, options.policy, { httpWhenExempt: true });
    if (refusal) return Promise.resolve({ error: refusal, refused: true });
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    return new Promise<WebhookPostResult>((resolve) => {
      let settled = false;
      const finish = (result: WebhookPostResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const request = client.request(
        target,
        {
          method: 'POST',
          agent: target.protocol === 'https:' ? httpsAgent : httpAgent,
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
            'user-agent': 'message-center-webhooks/1',
          },
        },
        (response) => {
          const status = response.statusCode ?? 0;
          let read = 0;
          response.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_ANSWER_BYTES) response.destroy();
          });
          const done = () => {
            const ok = status >= 200 && status < 300;
            const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
            finish({
              status,
              ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
              ...(ok ? {} : { error: `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}` }),
            });
          };
          response.on('end', done);
          response.on('close', done);
          response.on('error', done);
        },
      );
      const timer = setTimeout(() => {
        request.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      request.on('error', (error) => {
        finish(
          isOutboundPolicyError(error)
            ? { error: error.message, refused: true }
            : { error: `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${error.message}` },
        );
      });
      request.end(body);
    });
  };
}
