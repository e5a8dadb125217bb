import crypto from 'node:crypto';

/** Session tokens are opaque (not JWTs): 256 random bits behind a prefix that tells them apart. */
export const SESSION_PREFIX = 'idms_';

export function newSessionToken(): string {
  return `${SESSION_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
}

export function isSessionToken(token: string): boolean {
  return token.startsWith(SESSION_PREFIX);
}

/** SHA-256 suffices: the token has 256 bits of entropy, and the hash must be an index key. */
export function sessionTokenHash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('base64url');
}
