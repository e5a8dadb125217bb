import crypto from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

/**
 * OWASP Password Storage Cheat Sheet: scrypt with N=2^17, r=8, p=1 as the minimum. The
 * parameters travel inside the encoded hash, so stronger ones apply to new hashes while old ones
 * still verify.
 */
export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1, keylen: 32 };

/**
 * One-time passwords carry about 79 bits of randomness (14 characters of a 51-character alphabet)
 * and live 72 hours, so a guess-resistant slow hash needs less memory than a chosen password's:
 * scrypt at N=2^14 (16 MiB), which keeps a grant to a thousand users at once within seconds.
 */
export const OTP_SCRYPT_PARAMS = { N: 2 ** 14, r: 8, p: 1, keylen: 32 };

export async function hashPassword(password: string, params = SCRYPT_PARAMS): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, params.keylen, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64url');
  const expected = Buffer.from(parts[5], 'base64url');
  const actual = await scrypt(password.normalize('NFC'), salt, expected.length, { N, r, p, maxmem: 256 * N * r });
  return crypto.timingSafeEqual(actual, expected);
}
