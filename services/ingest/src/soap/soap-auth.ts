/**
 * Who is calling: Adobe's `sessiontoken` read as an API key, as `login/password` of a configured
 * SOAP operator, or — when empty — the `Authorization` header read as REST reads it (Bearer).
 * An unknown key, login or password all read the same to the caller (Adobe's "Invalid login or
 * password"), so nothing is learnt by probing; only a known key without the scope differs.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { keyFromHeader, type Principal } from '../plugins/auth';
import { SoapFault } from './faults';

export type { Principal };

export interface SoapOperator {
  login: string;
  password: string;
}

export type AuthOutcome =
  | { ok: true; /** idempotency scope handed to the intake */ scope: string; via: 'api-key' | 'operator' }
  | { ok: false; reason: 'invalid' | 'forbidden' };

export const PUSH_SCOPES: readonly string[] = ['events:write', 'admin'];

export interface Authenticator {
  /** The body's sessiontoken when not empty, else the header: the rule of one whole request. */
  authenticate(sessionToken: string, authorizationHeader: string | undefined): Promise<AuthOutcome>;
  /** The `Authorization` header's key; undefined when the header carries none. */
  authenticateHeader(authorizationHeader: string | undefined): Promise<AuthOutcome | undefined>;
  /** A non-empty sessiontoken: an operator's `login/password`, else an API key. */
  authenticateToken(sessionToken: string): Promise<AuthOutcome>;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function createAuthenticator(
  verifyApiKey: (key: string) => Promise<Principal | undefined>,
  operators: readonly SoapOperator[],
): Authenticator {
  // Digests of equal length let timingSafeEqual compare secrets of any length.
  const accounts = operators.map((o) => ({ login: o.login, loginDigest: digest(o.login), passwordDigest: digest(o.password) }));

  const asOperator = (token: string): string | undefined => {
    const slash = token.indexOf('/');
    if (slash <= 0) return undefined;
    const login = digest(token.slice(0, slash));
    const password = digest(token.slice(slash + 1));
    let found: string | undefined;
    // No early exit: the time taken does not tell which login exists.
    for (const account of accounts) {
      const loginOk = timingSafeEqual(login, account.loginDigest);
      const passwordOk = timingSafeEqual(password, account.passwordDigest);
      if (loginOk && passwordOk && found === undefined) found = account.login;
    }
    return found;
  };

  const asApiKey = async (key: string): Promise<AuthOutcome> => {
    const principal = await verifyApiKey(key);
    if (!principal) return { ok: false, reason: 'invalid' };
    if (!principal.scopes.some((s) => PUSH_SCOPES.includes(s))) return { ok: false, reason: 'forbidden' };
    return { ok: true, scope: principal.id, via: 'api-key' };
  };

  const asToken = async (token: string): Promise<AuthOutcome> => {
    const login = asOperator(token);
    if (login !== undefined) return { ok: true, scope: `soap-operator:${login}`, via: 'operator' };
    // Not an operator: it may still be an API key (keys may contain '/').
    return asApiKey(token);
  };

  return {
    async authenticate(sessionToken, authorizationHeader) {
      const token = sessionToken.trim();
      if (token !== '') return asToken(token);
      const key = keyFromHeader(authorizationHeader);
      if (!key) return { ok: false, reason: 'invalid' };
      return asApiKey(key);
    },
    async authenticateHeader(authorizationHeader) {
      const key = keyFromHeader(authorizationHeader);
      return key ? asApiKey(key) : undefined;
    },
    async authenticateToken(sessionToken) {
      const token = sessionToken.trim();
      return token === '' ? { ok: false, reason: 'invalid' } : asToken(token);
    },
  };
}

/**
 * The authenticator of one request, counting its invalid credentials against the caller's
 * address; past the limit the login fault becomes a rate-limit fault (as REST's 429).
 */
export function countingFailures(
  authenticator: Authenticator,
  fail: () => Promise<{ limited: boolean; retryAfterSeconds: number }>,
  limitDetail: (retryAfterSeconds: number) => string,
): Authenticator {
  const counted = async (outcome: AuthOutcome): Promise<AuthOutcome> => {
    if (outcome.ok || outcome.reason !== 'invalid') return outcome;
    const verdict = await fail();
    if (verdict.limited) throw new SoapFault('Client', 'Rate limit exceeded.', limitDetail(verdict.retryAfterSeconds));
    return outcome;
  };
  return {
    authenticate: async (token, header) => counted(await authenticator.authenticate(token, header)),
    authenticateHeader: async (header) => {
      const outcome = await authenticator.authenticateHeader(header);
      return outcome === undefined ? undefined : counted(outcome);
    },
    authenticateToken: async (token) => counted(await authenticator.authenticateToken(token)),
  };
}
