/**
 * API-key authentication with scopes, on every route. A route states what it needs in its
 * config (`auth: 'public' | 'events:write' | 'admin'`); a route that states nothing needs
 * admin, so forgetting to declare never opens a door. Keys are compared as SHA-256 hashes;
 * the bootstrap keys come from the environment, the others from Postgres (cached briefly).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@mc/core';
import { problemFromError, statusOf } from '../http/problems';

export type RouteAuth = 'public' | 'events:write' | 'admin';

export interface Principal {
  /** Stable id for idempotency scoping and logs: `env:admin`, `key:12`, `soap-operator:mc`. */
  id: string;
  scopes: readonly string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface KeyStore {
  verify(key: string): Promise<Principal | undefined>;
  /** Forgets cached lookups (after a revocation here; other replicas follow within the cache period). */
  invalidate(): void;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

export function createKeyStore(options: {
  adminKey?: string;
  ingestKey?: string;
  findActiveByHash(hash: string): Promise<{ id: number; scopes: string[] } | undefined>;
  /** Records that a stored key was used (called at most once per key per cache period). */
  touch?(id: number): Promise<void>;
  cacheMs?: number;
}): KeyStore {
  const bootstrap: { hash: Buffer; principal: Principal }[] = [];
  if (options.adminKey) bootstrap.push({ hash: sha256(options.adminKey), principal: { id: 'env:admin', scopes: ['admin'] } });
  if (options.ingestKey) {
    bootstrap.push({ hash: sha256(options.ingestKey), principal: { id: 'env:ingest', scopes: ['events:write'] } });
  }
  const cacheMs = options.cacheMs ?? 10_000;
  const cache = new Map<string, { at: number; principal: Principal | undefined }>();

  return {
    async verify(key) {
      const digest = sha256(key);
      for (const entry of bootstrap) if (timingSafeEqual(entry.hash, digest)) return entry.principal;
      const hex = digest.toString('hex');
      const hit = cache.get(hex);
      if (hit && Date.now() - hit.at < cacheMs) return hit.principal;
      const row = await options.findActiveByHash(hex);
      const principal = row ? { id: `key:${row.id}`, scopes: row.scopes } : undefined;
      if (row) void options.touch?.(row.id).catch(() => undefined); // lastUsedAt is informational
      if (cache.size > 10_000) cache.clear();
      cache.set(hex, { at: Date.now(), principal });
      return principal;
    },
    invalidate() {
      cache.clear();
    },
  };
}

export function hasScope(principal: Principal, needed: Exclude<RouteAuth, 'public'>): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(needed);
}

/** The key from `Authorization: Bearer <key>`, or from Basic auth's password (for browsers). */
export function keyFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

export function registerAuth(app: FastifyInstance, keys: KeyStore): void {
  app.decorateRequest('principal', undefined);
  // Refusals are sent from here rather than thrown: plugins with error handlers of their own
  // (bull-board) would otherwise turn them into 500s.
  const refuse = (reply: FastifyReply, error: DomainError) =>
    reply.code(statusOf(error.code)).type('application/problem+json').send(problemFromError(error));

  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    if (request.is404) return; // unknown paths get their 404, not a 401
    const needed = request.routeOptions.config.auth ?? 'admin';
    if (needed === 'public') return;
    const key = keyFromHeader(request.headers.authorization);
    if (!key) {
      // Browsers (the dashboard, the outbox) then ask for the key as a Basic-auth password.
      reply.header('www-authenticate', 'Basic realm="Message Center", charset="UTF-8"');
      return refuse(reply, new DomainError('unauthorized', 'Send an API key as "Authorization: Bearer <key>".'));
    }
    const principal = await keys.verify(key);
    if (!principal) return refuse(reply, new DomainError('unauthorized', 'The API key is unknown or revoked.'));
    if (!hasScope(principal, needed)) {
      return refuse(reply, new DomainError('forbidden', `This API key lacks the "${needed}" scope.`));
    }
    request.principal = principal;
  });
}
