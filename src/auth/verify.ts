import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { TtlCache } from './ttl-cache.ts';
import type { SigningKey } from './signing-key.ts';
import { TokenRejected, verifyTokenSignature, type Principal, type TokenSettings } from './tokens.ts';
import { organisationsStore } from '../store/organisations-store.ts';
import { tokensStore } from '../store/tokens-store.ts';
import { isSessionToken } from './session-tokens.ts';
import { verifySession, type SessionSettings } from '../domain/sign-in.ts';

/**
 * Full verification of a bearer token. Session tokens (opaque, SPEC §6.2) are looked up in the
 * database; JWTs get the JWT checks, then what only the database knows — the
 * organisation exists and is active, and the jti is not revoked.
 */
export function tokenVerifier(db: Knex, key: SigningKey, settings: TokenSettings, now: () => Date, sessions: SessionSettings, cache: TtlCache<Principal>) {
  const organisations = organisationsStore(db);
  const tokens = tokensStore(db);
  return async function verify(token: string): Promise<Principal> {
    if (isSessionToken(token)) {
      const principal = await verifySession(db, token, now(), sessions);
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
