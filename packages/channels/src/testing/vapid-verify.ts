/**
 * What a push service checks before accepting a message (RFC 8292): the `Authorization:
 * vapid t=<JWT>, k=<public key>` header carries an ES256 JWT signed by the application
 * server's key, addressed to the push service's origin, with a contact subject.
 */
import { createPublicKey, verify } from 'node:crypto';

export interface VapidClaims {
  /** The application server's public key (`k`), URL-safe base64. */
  publicKey: string;
  audience: string;
  subject: string;
  /** Expiry, seconds since the epoch. */
  expiresAt: number;
}

/** Returns the verified claims, or throws saying what is wrong. */
export function verifyVapid(authorization: string | undefined, expectedAudience: string, now = Date.now()): VapidClaims {
  const match = /^vapid\s+(.+)$/i.exec(authorization ?? '');
  if (!match?.[1]) throw new Error('Authorization is not a vapid credential');
  const params = new Map<string, string>();
  for (const part of match[1].split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const token = params.get('t');
  const publicKey = params.get('k');
  if (!token || !publicKey) throw new Error('vapid credential lacks t= or k=');

  const [headerPart, claimsPart, signaturePart] = token.split('.');
  if (!headerPart || !claimsPart || !signaturePart) throw new Error('vapid token is not a JWT');
  const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as { alg?: string };
  if (header.alg !== 'ES256') throw new Error(`vapid JWT alg is ${header.alg}, expected ES256`);

  const point = Buffer.from(publicKey, 'base64url');
  if (point.length !== 65 || point[0] !== 0x04) throw new Error('vapid k is not an uncompressed P-256 key');
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
    format: 'jwk',
  });
  // JWS ES256 signatures are r||s (IEEE P1363), not DER.
  const valid = verify('sha256', Buffer.from(`${headerPart}.${claimsPart}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signaturePart, 'base64url'));
  if (!valid) throw new Error('vapid JWT signature does not verify with k');

  const claims = JSON.parse(Buffer.from(claimsPart, 'base64url').toString('utf8')) as { aud?: string; sub?: string; exp?: number };
  if (claims.aud !== expectedAudience) throw new Error(`vapid aud is ${claims.aud}, expected ${expectedAudience}`);
  if (!claims.sub || !/^(mailto:|https:)/.test(claims.sub)) throw new Error('vapid sub is not a mailto: or https: contact');
  const nowSeconds = Math.floor(now / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds || claims.exp > nowSeconds + 24 * 3600) {
    throw new Error('vapid exp is missing, past, or more than 24 h ahead');
  }
  return { publicKey, audience: claims.aud, subject: claims.sub, expiresAt: claims.exp };
}
