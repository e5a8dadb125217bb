import crypto from 'node:crypto';

/**
 * SPEC §3.4: one-time passwords from an alphabet without look-alike characters (no 0/O, 1/l/I,
 * 5/S, 2/Z, 8/B), drawn with a cryptographic random source without modulo bias.
 */
export const OTP_ALPHABET = 'ACDEFGHJKLMNPQRTUVWXYabcdefghijkmnopqrstuvwxyz34679';
export const OTP_LENGTH = 14;
export const OTP_VALIDITY_MS = 72 * 3600 * 1000;

export function generateOneTimePassword(length = OTP_LENGTH): string {
  let out = '';
  while (out.length < length) {
    for (const byte of crypto.randomBytes(length * 2)) {
      // Rejection sampling: bytes beyond the largest multiple of the alphabet size are discarded.
      if (byte < 256 - (256 % OTP_ALPHABET.length)) out += OTP_ALPHABET[byte % OTP_ALPHABET.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/**
 * Whether `candidate` has the form every issued one-time password has. Sign-in checks a candidate
 * against the user's one-time password only when it has this form; the form is the caller's own
 * input, so what that check costs tells nothing about the user.
 */
export function couldBeOneTimePassword(candidate: string): boolean {
  return candidate.length === OTP_LENGTH && [...candidate].every((c) => OTP_ALPHABET.includes(c));
}
