import crypto from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { SigningKey } from './signing-key.ts';
import { isRole, namesReceiver, needsOrganisation, type Principal, type Role } from '../model/principal.ts';

export { ROLES, isRole, type Principal, type PrincipalRole, type Role } from '../model/principal.ts';

export interface TokenSettings {
  issuer: string;
  audience: string;
  /** Seconds of clock skew tolerated on exp, nbf and iat (RFC 8725 §3.10 style checks). */
  leewaySeconds: number;
}

export interface IssueRequest {
  role: Role;
  subject: string;
  orgId?: string;
  /** For role receiver: the receiver the token is bound to (claim `receiver`). */
  receiverId?: string;
  ttlSeconds: number;
  jti?: string;
}

export async function signToken(key: SigningKey, settings: TokenSettings, req: IssueRequest, now = Date.now()) {
  const jti = req.jti ?? crypto.randomUUID();
  const iat = Math.floor(now / 1000);
  const exp = iat + req.ttlSeconds;
  const claims: Record<string, unknown> = { role: req.role };
  if (req.orgId) claims.org = req.orgId;
  if (req.receiverId) claims.receiver = req.receiverId;
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(req.subject)
    .setJti(jti)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .sign(key.privateKey);
  return { token, jti, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000) };
}

export class TokenRejected extends Error {}

/**
 * Checks the signature (ES256 only: `alg: none` and HMAC confusion are refused by the allow-list),
 * issuer, audience and time claims. What the database knows (organisation, revocation) is checked
 * by the caller.
 */
export async function verifyTokenSignature(key: SigningKey, settings: TokenSettings, token: string, now = Date.now()): Promise<Principal> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: ['ES256'],
      issuer: settings.issuer,
      audience: settings.audience,
      clockTolerance: settings.leewaySeconds,
      requiredClaims: ['exp', 'iat', 'jti', 'sub'],
      currentDate: new Date(now),
    }));
  } catch (err) {
    throw new TokenRejected(describeJoseError(err));
  }
  if (typeof payload.iat === 'number' && payload.iat > now / 1000 + settings.leewaySeconds) {
    throw new TokenRejected('the token is issued in the future');
  }
  if (!isRole(payload.role)) throw new TokenRejected('the token has no valid role');
  const org = payload.org;
  if (org !== undefined && typeof org !== 'string') throw new TokenRejected('the token has an invalid org claim');
  if (needsOrganisation(payload.role) && !org) throw new TokenRejected(`a ${payload.role} token must name an organisation`);
  const receiver = payload.receiver;
  if (namesReceiver(payload.role) !== (typeof receiver === 'string')) throw new TokenRejected('only a receiver token names a receiver, and it must');
  if (namesReceiver(payload.role) && org !== undefined) throw new TokenRejected('a receiver token names no organisation');
  const principal: Principal = { role: payload.role, subject: payload.sub!, orgId: org, jti: payload.jti!, expiresAt: payload.exp! * 1000 };
  if (typeof receiver === 'string') principal.receiverId = receiver;
  return principal;
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'the token is not valid yet';
    return `the token's ${err.claim} claim is not accepted`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is not signed with ES256';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  return 'the token is malformed';
}

/** Parses "30s", "15m", "1h", "30d" or a number of seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) throw new Error(`invalid lifetime "${text}": use e.g. 30m, 1h or 30d`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  if (seconds <= 0) throw new Error('the lifetime must be positive');
  return seconds;
}
