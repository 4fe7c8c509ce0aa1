/**
 * The operator console (packages/console): a static single-page app served at /console/.
 * Its files are public — the app holds no data; every API call it makes carries the admin
 * key the operator signs in with. Deep links (/console/templates/42) get index.html so the
 * app's router can take them. A strict Content-Security-Policy on every response here: no
 * inline or foreign scripts; previews of emails run in a sandboxed srcdoc frame, which
 * inherits this policy, so remote images, styles and fonts are allowed, scripts never.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import { DomainError } from '@mc/core';

/** Built by scripts/ensure-ready.mjs (vite build); the same relative place from src/ and dist/. */
export const CONSOLE_DIST = path.resolve(__dirname, '../../../../packages/console/dist');

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline' https:",
  'img-src * data:',
  'font-src https: data:',
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** Register with `{ prefix: '/console' }`: the not-found handler (deep links) is this prefix's own. */
export const consoleAppRoutes: FastifyPluginAsync<{ root?: string }> = async (app, options) => {
  const root = options.root ?? CONSOLE_DIST;
  const config = { auth: 'public' as const };

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', CONSOLE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    return payload;
  });


  app.get('', { config, schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/', 301));

  if (!existsSync(path.join(root, 'index.html'))) {
    // A checkout whose console was not built (ensure-ready builds it): say so, not a bare 404.
    app.get('/*', { config, schema: { hide: true } }, async () => {
      throw new DomainError('unavailable', 'The console is not built: run `npm run build` (node scripts/ensure-ready.mjs)');
    });
    return;
  }

  // Every route @fastify/static declares is public and hidden from the OpenAPI document.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/console')) route.config = { ...(route.config ?? {}), ...config };
  });
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: 'index.html',
    schemaHide: true,
    // Hashed asset names may be cached for good; index.html must be fetched again each time.
    setHeaders: (res, file) => {
      res.header('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  app.setNotFoundHandler(async (request, reply) => {
    // A deep link (no file extension) is the app's own route; a missing asset is a real 404.
    const pathname = request.url.split('?')[0]!;
    if (request.method === 'GET' && pathname.startsWith('/console/') && !path.extname(pathname)) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    throw new DomainError('not_found', `${pathname} not found`);
  });
};
