import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { registerRequestLog, requestLogOptions, SLOW_REQUEST_MS } from './request-log';

/** A Fastify app logging through pino into an array of parsed lines. */
async function appLoggingAt(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const app = Fastify({ loggerInstance: pino({ level }, sink) as FastifyBaseLogger, ...requestLogOptions });
  registerRequestLog(app);
  app.get('/ok', async () => ({ ok: true }));
  app.get('/chatty', { logLevel: 'debug' }, async () => ({ ok: true }));
  app.get('/refused', async (_request, reply) => reply.code(401).send({ title: 'no' }));
  app.get('/fails', async (request) => {
    request.log.error({ reason: 'disk full' }, 'could not do it');
    throw new Error('boom');
  });
  app.get('/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, SLOW_REQUEST_MS + 20));
    return { ok: true };
  });
  await app.ready();
  return { app, lines: () => lines.filter((l) => l.msg === 'request'), all: lines };
}

describe('request log', () => {
  it('at info: no line for an accepted request, one for a refusal — path without query, no headers', async () => {
    const { app, lines } = await appLoggingAt('info');
    await app.inject({ method: 'GET', url: '/ok', headers: { authorization: 'Bearer mc_secret_key' } });
    expect(lines()).toHaveLength(0);
    await app.inject({ method: 'GET', url: '/refused?token=mc_secret_key', headers: { authorization: 'Bearer mc_secret_key' } });
    expect(lines()).toEqual([expect.objectContaining({ level: 30, method: 'GET', path: '/refused', status: 401, reqId: expect.any(String) })]);
    expect(JSON.stringify(lines())).not.toContain('mc_secret_key');
    await app.close();
  });

  it('at debug: one line per request, 2xx too (and no Fastify "incoming request" line)', async () => {
    const { app, lines, all } = await appLoggingAt('debug');
    await app.inject({ method: 'GET', url: '/ok' });
    expect(lines()).toEqual([expect.objectContaining({ level: 20, path: '/ok', status: 200, ms: expect.any(Number) })]);
    expect(all.filter((l) => l.msg !== 'request')).toEqual([]);
    await app.close();
  });

  it("a handler's own lines carry the request's id, and the failure is logged at info with its status", async () => {
    const { app, lines, all } = await appLoggingAt('info');
    await app.inject({ method: 'GET', url: '/fails' });
    const own = all.find((l) => l.msg === 'could not do it');
    expect(own).toMatchObject({ level: 50, reason: 'disk full', reqId: expect.any(String) });
    expect(lines()).toEqual([expect.objectContaining({ status: 500, reqId: own!.reqId })]);
    await app.close();
  });

  it('logs a slow 2xx at info', async () => {
    const { app, lines } = await appLoggingAt('info');
    await app.inject({ method: 'GET', url: '/slow' });
    expect(lines()).toEqual([expect.objectContaining({ level: 30, status: 200 })]);
    expect(lines()[0]!.ms).toBeGreaterThanOrEqual(SLOW_REQUEST_MS);
    await app.close();
  });

  it('below the level, a request makes no child logger', async () => {
    const { app, all } = await appLoggingAt('warn');
    const parent = app.log as unknown as { child: (...args: unknown[]) => unknown };
    let made = 0;
    const child = parent.child.bind(parent);
    parent.child = (...args: unknown[]) => {
      made++;
      return child(...args);
    };
    await app.inject({ method: 'GET', url: '/ok' });
    await app.inject({ method: 'GET', url: '/refused' });
    expect(made).toBe(0);
    expect(all).toEqual([]);
    // A route with a log level of its own logs at that level.
    await app.inject({ method: 'GET', url: '/chatty' });
    expect(all).toEqual([expect.objectContaining({ level: 20, path: '/chatty', status: 200 })]);
    await app.close();
  });
});
