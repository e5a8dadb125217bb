import { exportJWK, type JWK } from 'jose';
import type { SigningKey } from './signing-key.ts';

/**
 * The server's public keys as a JWK Set (RFC 7517 §5), served at /.well-known/jwks.json so
 * receivers can check the signature of each SET and anyone can check a token's. `retired` are
 * public keys of earlier signing keys, published until the tokens and events they signed have
 * expired (IDM_RETIRED_PUBLIC_KEYS).
 */
export async function publicJwks(key: SigningKey, retired: JWK[] = []): Promise<{ keys: JWK[] }> {
  const current = { ...(await exportJWK(key.publicKey)), kid: key.kid, alg: 'ES256', use: 'sig' };
  const older = retired.filter((k) => k.kid !== key.kid).map(({ d: _d, ...pub }) => ({ ...pub, alg: 'ES256', use: 'sig' }));
  return { keys: [current, ...older] };
}
