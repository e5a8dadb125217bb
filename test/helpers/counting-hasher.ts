import { OTP_SCRYPT_PARAMS, SCRYPT_PARAMS, paramsOf, scryptHasher, type PasswordHasher, type ScryptParams } from '../../src/domain/password-hash.ts';

/** One call through the hasher: what it did, and at which cost (by the scrypt parameters). */
export type HasherCall = `${'hash' | 'verify'}:${'full' | 'otp' | 'other'}`;

const costOf = (params: ScryptParams | undefined): 'full' | 'otp' | 'other' => {
  const same = (a: ScryptParams) => params !== undefined && a.N === params.N && a.r === params.r && a.p === params.p;
  return same(SCRYPT_PARAMS) ? 'full' : same(OTP_SCRYPT_PARAMS) ? 'otp' : 'other';
};

/**
 * The real scrypt hasher, recording each call. Handed to the app in place of the default, so a
 * test sees every slow hash a request performs without timing anything.
 */
export function countingHasher(): { hasher: PasswordHasher; calls: HasherCall[]; take: () => HasherCall[] } {
  const calls: HasherCall[] = [];
  const hasher: PasswordHasher = {
    hash(secret, params = SCRYPT_PARAMS) {
      calls.push(`hash:${costOf(params)}`);
      return scryptHasher.hash(secret, params);
    },
    verify(secret, encoded) {
      calls.push(`verify:${costOf(paramsOf(encoded))}`);
      return scryptHasher.verify(secret, encoded);
    },
  };
  /** The calls since the last take, sorted (two verifications may start in either order). */
  const take = () => calls.splice(0).sort();
  return { hasher, calls, take };
}
