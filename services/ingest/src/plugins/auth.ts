/**
 * API-key authentication with scopes, on every route. A route states what it needs in its
 * config (`auth: 'public' | 'events:write' | 'feedback' | 'metrics' | 'admin'`); a route that states nothing needs
 * admin, so forgetting to declare never opens a door (and the route-table test names it).
 * Keys are compared as SHA-256 hashes; the bootstrap keys come from the environment, the others
 * from Postgres, cached briefly — unknown keys too, so repeating a wrong key costs no lookup.
 * A key that verified is remembered as it was sent for the same period, so its repeats cost
 * neither the hash nor a promise (see {@link KeyStore.recall}); a revocation here forgets it at
 * once, other replicas within the cache period (10 s).
 * Failed attempts are throttled per client address (auth-failure-throttle.ts); a database
 * fault is a 503, never a pass and never a 500.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { DomainError } from '@mc/core';
import { problemFromError, statusOf } from '../http/problems';
import type { AuthFailureThrottle } from './auth-failure-throttle';

export type RouteAuth = 'public' | 'events:write' | 'feedback' | 'metrics' | 'admin';

export interface Principal {
  /** Stable id for idempotency scoping and logs: `env:admin`, `key:12`, `soap-operator:mc`. */
  id: string;
  scopes: readonly string[];
  /** Who it is, for the audit log: the stored key's name, or the bootstrap key's variable. */
  name?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    /** Failed-authentication throttle per client address; other doors (SOAP) count into it too. */
    authFailures: AuthFailureThrottle;
    /** Every route with the auth it declared (undefined: none, so it requires admin). */
    routeAuthTable(): readonly RouteAuthEntry[];
  }
}

export interface RouteAuthEntry {
  method: string;
  url: string;
  /** What the route declared in `config.auth`; undefined → it declared nothing (admin applies). */
  declared: RouteAuth | undefined;
}

export interface KeyStore {
  /**
   * The key's principal, or undefined when it is unknown or revoked. Throws a DomainError
   * `unavailable` when the key store cannot be read (the caller answers 503, never a pass).
   */
  verify(key: string): Promise<Principal | undefined>;
  /**
   * The principal of a key that verified within the cache period, answered from memory without
   * hashing it; undefined when it has to be verified. Only keys that verified are kept, so a
   * flood of guesses cannot fill it, and `invalidate` empties it with the other caches.
   */
  recall(key: string): Principal | undefined;
  /** Forgets cached lookups (after a revocation here; other replicas follow within the cache period). */
  invalidate(): void;
  /** Forgets that this key was unknown, so a key created here works at once. */
  forgetUnknown(key: string): void;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** A Map used as a small LRU with expiry: reads move an entry to the end, inserts evict the front. */
class ExpiringCache<V> {
  private readonly entries = new Map<string, { at: number; value: V }>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The entry with the time it was stored (which a hit does not renew). */
  get(key: string, now: number): { at: number; value: V } | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.entries.delete(key);
    if (now - hit.at >= this.ttlMs) return undefined;
    this.entries.set(key, hit);
    return hit;
  }

  /** @param at when the value was read from its source: it expires `ttlMs` after that. */
  set(key: string, value: V, at: number): void {
    this.entries.delete(key);
    this.entries.set(key, { at, value });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

export function createKeyStore(options: {
  adminKey?: string;
  ingestKey?: string;
  findActiveByHash(hash: string): Promise<{ id: number; scopes: string[]; name?: string } | undefined>;
  /** Records that a stored key was used (called at most once per key per cache period). */
  touch?(id: number): Promise<void>;
  /** How long a known key is served from memory. @defaultValue 10000 */
  cacheMs?: number;
  /** How long an unknown key is answered from memory. @defaultValue 10000 */
  negativeCacheMs?: number;
  /** Entries per cache (known and unknown keys each). @defaultValue 10000 */
  cacheSize?: number;
  /** Told when the key store fails (the request is then answered 503). */
  onError?: (error: unknown) => void;
}): KeyStore {
  const bootstrap: { hash: Buffer; principal: Principal }[] = [];
  if (options.adminKey) bootstrap.push({ hash: sha256(options.adminKey), principal: { id: 'env:admin', scopes: ['admin'], name: 'MC_ADMIN_KEY' } });
  if (options.ingestKey) {
    bootstrap.push({ hash: sha256(options.ingestKey), principal: { id: 'env:ingest', scopes: ['events:write'], name: 'MC_INGEST_KEY' } });
  }
  const size = options.cacheSize ?? 10_000;
  // Two caches, so a flood of random unknown keys cannot push the known ones out.
  const known = new ExpiringCache<Principal>(options.cacheMs ?? 10_000, size);
  const unknown = new ExpiringCache<true>(options.negativeCacheMs ?? 10_000, size);
  // Keyed by the key as sent: SHA-256 of it cost 3 % of a single POST. Held in memory only (as
  // the request's own header is), never logged, and for no longer than a hashed entry.
  const verified = new ExpiringCache<Principal>(options.cacheMs ?? 10_000, size);

  return {
    recall(key) {
      return verified.get(key, Date.now())?.value;
    },
    async verify(key) {
      const digest = sha256(key);
      for (const entry of bootstrap) {
        if (timingSafeEqual(entry.hash, digest)) {
          verified.set(key, entry.principal, Date.now());
          return entry.principal;
        }
      }
      const hex = digest.toString('hex');
      const now = Date.now();
      const hit = known.get(hex, now);
      if (hit) {
        // Stamped with the lookup's time, not now: a revoked key stays at most one period.
        verified.set(key, hit.value, hit.at);
        return hit.value;
      }
      if (unknown.get(hex, now)) return undefined;
      let row: { id: number; scopes: string[]; name?: string } | undefined;
      try {
        row = await options.findActiveByHash(hex);
      } catch (error) {
        options.onError?.(error);
        throw new DomainError('unavailable', 'API keys cannot be checked right now; try again shortly.');
      }
      if (!row) {
        unknown.set(hex, true, now);
        return undefined;
      }
      const principal: Principal = { id: `key:${row.id}`, scopes: row.scopes, ...(row.name !== undefined ? { name: row.name } : {}) };
      void options.touch?.(row.id).catch(() => undefined); // lastUsedAt is informational
      known.set(hex, principal, now);
      verified.set(key, principal, now);
      return principal;
    },
    invalidate() {
      known.clear();
      verified.clear();
    },
    forgetUnknown(key) {
      unknown.delete(sha256(key).toString('hex'));
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

export interface AuthOptions {
  keys: KeyStore;
  failures: AuthFailureThrottle;
}

export function registerAuth(app: FastifyInstance, { keys, failures }: AuthOptions): void {
  app.decorateRequest('principal', undefined);
  app.decorate('authFailures', failures);

  // Kept as the route options objects themselves: hooks registered later (the docs, the
  // dashboard) may still set `config.auth`, so it is read when the table is asked for.
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => void routes.push(route));
  const table = (): RouteAuthEntry[] =>
    routes.flatMap((route) =>
      [route.method].flat().map((method) => ({ method, url: route.url, declared: route.config?.auth })),
    );
  app.decorate('routeAuthTable', table);
  app.addHook('onReady', async () => {
    for (const route of table()) {
      if (route.declared === undefined) app.log.warn({ route: `${route.method} ${route.url}` }, 'route declares no auth; admin applies');
    }
  });

  // Refusals are sent from here rather than thrown: plugins with error handlers of their own
  // (bull-board) would otherwise turn them into 500s.
  const refuse = (reply: FastifyReply, error: DomainError, retryAfterSeconds?: number) => {
    if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
    return reply.code(statusOf(error.code)).type('application/problem+json').send(problemFromError(error));
  };
  const throttled = (reply: FastifyReply, retryAfterSeconds: number) =>
    refuse(
      reply,
      new DomainError('rate_limited', `Too many failed authentications from this address; try again in ${retryAfterSeconds} s.`),
      retryAfterSeconds,
    );

  const admit = (request: FastifyRequest, reply: FastifyReply, principal: Principal, needed: Exclude<RouteAuth, 'public'>, done: () => void) => {
    if (!hasScope(principal, needed)) {
      refuse(reply, new DomainError('forbidden', `This API key lacks the "${needed}" scope.`));
      return;
    }
    request.principal = principal;
    done();
  };
  const refuseUnknown = async (request: FastifyRequest, reply: FastifyReply) => {
    const verdict = await failures.fail(request.ip);
    if (verdict.limited) return throttled(reply, verdict.retryAfterSeconds);
    return refuse(reply, new DomainError('unauthorized', 'The API key is unknown or revoked.'));
  };

  // A callback hook, not an async one: a key seen within the cache period is admitted without a
  // promise or a hash; only a key to look up (or a refusal to count) goes asynchronous.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    if (request.is404) return done(); // unknown paths get their 404, not a 401
    const needed = request.routeOptions.config.auth ?? 'admin';
    if (needed === 'public') return done();
    const key = keyFromHeader(request.headers.authorization);
    if (!key) {
      // Browsers (the dashboard, the outbox) then ask for the key as a Basic-auth password.
      // Not counted as a failure: it is how every browser session starts.
      reply.header('www-authenticate', 'Basic realm="Message Center", charset="UTF-8"');
      refuse(reply, new DomainError('unauthorized', 'Send an API key as "Authorization: Bearer <key>".'));
      return;
    }
    // Checked before the key, and whatever the key: a blocked guesser learns nothing.
    const blocked = failures.blocked(request.ip);
    if (blocked) {
      throttled(reply, blocked.retryAfterSeconds);
      return;
    }
    const recalled = keys.recall(key);
    if (recalled) return admit(request, reply, recalled, needed, done);
    keys.verify(key).then(
      (principal) => {
        if (principal) admit(request, reply, principal, needed, done);
        else refuseUnknown(request, reply).catch(done);
      },
      (error: unknown) => {
        if (error instanceof DomainError && error.code === 'unavailable') refuse(reply, error, 5);
        else done(error as Error);
      },
    );
  });
}
