import crypto from 'node:crypto';
import type { TtlCache } from '../auth/ttl-cache.ts';
import type { SigningKey } from '../auth/signing-key.ts';
import { TokenRejected, verifyTokenSignature, type TokenSettings } from '../auth/tokens.ts';
import { isSessionToken } from '../auth/session-tokens.ts';
import type { Principal } from '../model/principal.ts';
import type { Repositories } from '../store/repositories.ts';
import { verifySession, type SessionSettings } from './sign-in.ts';

/**
 * Full verification of a bearer token. Session tokens (opaque, SPEC §6.2) are looked up in the
 * database; JWTs get the JWT checks, then what only the database knows — the
 * organisation exists and is active, and the jti is not revoked.
 */
export function tokenVerifier(repos: Repositories, key: SigningKey, settings: TokenSettings, now: () => Date, sessions: SessionSettings, cache: TtlCache<Principal>) {
  const { organisations, tokens } = repos.operator;
  return async function verify(token: string): Promise<Principal> {
    if (isSessionToken(token)) {
      const principal = await verifySession(repos, token, now(), sessions);
      if (!principal) throw new TokenRejected('the session has ended; sign in again');
      return principal;
    }
    // A verified JWT is remembered for a few seconds by the hash of the token, sparing the
    // signature check and two queries per request. Revocation and deactivation clear the cache
    // in this process at once, and reach other processes when the entry expires.
    const at = now().getTime();
    const cacheKey = crypto.createHash('sha256').update(token).digest('base64url');
    const cached = cache.get(cacheKey, at);
    if (cached && cached.expiresAt > at) return cached;
    const principal = await verifyTokenSignature(key, settings, token, at);
    if (principal.orgId !== undefined && !(await organisations.isActive(principal.orgId))) {
      throw new TokenRejected('the organisation the token names does not exist or is not active');
    }
    if (await tokens.isRevoked(principal.jti)) throw new TokenRejected('the token has been revoked');
    cache.set(cacheKey, principal, at);
    return principal;
  };
}
