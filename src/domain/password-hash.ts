import crypto from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keylen: number;
}

/**
 * OWASP Password Storage Cheat Sheet: scrypt with N=2^17, r=8, p=1 as the minimum. The
 * parameters travel inside the encoded hash, so stronger ones apply to new hashes while old ones
 * still verify.
 */
export const SCRYPT_PARAMS: ScryptParams = { N: 2 ** 17, r: 8, p: 1, keylen: 32 };

/**
 * One-time passwords carry about 79 bits of randomness (14 characters of a 51-character alphabet)
 * and live 72 hours, so a guess-resistant slow hash needs less memory than a chosen password's:
 * scrypt at N=2^14 (16 MiB), which keeps a grant to a thousand users at once within seconds.
 */
export const OTP_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 14, r: 8, p: 1, keylen: 32 };

export async function hashPassword(password: string, params = SCRYPT_PARAMS): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, params.keylen, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r });
  return encode(params, salt, key);
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const params = paramsOf(encoded);
  if (!params) return false;
  const parts = encoded.split('$');
  const salt = Buffer.from(parts[4], 'base64url');
  const expected = Buffer.from(parts[5], 'base64url');
  const actual = await scrypt(password.normalize('NFC'), salt, expected.length, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r });
  return crypto.timingSafeEqual(actual, expected);
}

/** The parameters an encoded hash was made with, which decide what verifying against it costs. */
export function paramsOf(encoded: string): ScryptParams | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return undefined;
  return { N, r, p, keylen: Buffer.from(parts[5], 'base64url').length };
}

/**
 * A hash of no secret at `params`: a random key under a random salt, so verifying anything against
 * it costs exactly what verifying against a real hash of those parameters costs, and never matches.
 * Sign-in verifies against one where the user has nothing to verify against (SPEC §6.2).
 */
export function unmatchableHash(params: ScryptParams): string {
  return encode(params, crypto.randomBytes(16), crypto.randomBytes(params.keylen));
}

function encode(params: ScryptParams, salt: Buffer, key: Buffer): string {
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/**
 * The slow hashing of secrets as one value that is handed to sign-in, so that another can be
 * given in its place: the tests count every hash and verification a request performs, and at
 * which cost, through it.
 */
export interface PasswordHasher {
  hash(secret: string, params?: ScryptParams): Promise<string>;
  verify(secret: string, encoded: string): Promise<boolean>;
}

export const scryptHasher: PasswordHasher = { hash: hashPassword, verify: verifyPassword };
