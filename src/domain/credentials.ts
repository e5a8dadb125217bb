import { invalid, notFound } from '../model/outcomes.ts';
import { isUuid } from '../model/ids.ts';
import { OTP_SCRYPT_PARAMS, scryptHasher, type PasswordHasher } from './password-hash.ts';
import { OTP_VALIDITY_MS, generateOneTimePassword } from './one-time-password.ts';
import { displayNameOf, oneTimePasswordEmail, usernameLetter } from './messages.ts';
import { preferredEmail } from './emails.ts';
import { audit, inTransaction, storesFor, type TenantRequest } from './tenant-request.ts';

/**
 * SPEC §3.4: the first time a user is granted any group, credentials are issued in the same
 * transaction as the membership — a letter with the username and an e-mail with a one-time
 * password — and credentialStatus becomes pending. A user without an e-mail address cannot be
 * granted a group, so the whole request is refused. Later grants send nothing.
 */
export async function issueOnFirstGrant(tx: TenantRequest, addedUserIds: string[], prepared: PreparedPasswords = new Map()): Promise<void> {
  const { credentials, outbox } = storesFor(tx);
  const first = await credentials.withoutCredentials(addedUserIds);
  const withoutEmail = first.filter((u) => !preferredEmail(u.data.emails));
  if (withoutEmail.length) {
    throw invalid(
      `Användaren ${withoutEmail[0].user_name} har ingen e-postadress och kan därför inte få behörighet. ` +
        'Lägg till en e-postadress (emails) och försök igen: engångslösenordet skickas dit.',
      'invalidValue',
    );
  }
  for (const user of first) {
    const email = preferredEmail(user.data.emails)!;
    const { secret, hash, expiresAt } = prepared.get(user.id) ?? (await newOneTimePassword(tx.now));
    await credentials.update(user.id, { otp_hash: hash, otp_expires_at: expiresAt, credential_status: 'pending' });
    await outbox.enqueue({ ...usernameLetter(tx.org, user.id, user.user_name, displayNameOf(user.user_name, user.data)), createdAt: tx.now });
    await outbox.enqueue({ ...oneTimePasswordEmail(tx.org, user.id, email, secret, expiresAt), createdAt: tx.now });
    await audit(tx, { action: 'credentials.issue', resourceType: 'User', resourceId: user.id, changes: { credentialStatus: { before: 'none', after: 'pending' } } });
  }
}

export type PreparedPasswords = Map<string, OneTimePassword>;
export interface OneTimePassword {
  secret: string;
  hash: string;
  expiresAt: Date;
}

/** A grant of more users than this hashes their passwords under the lock, one after another. */
const MAX_PREPARED = 100;

/**
 * One-time passwords for those of `userIds` who would get their first grant, hashed before the
 * caller locks the group: a slow hash takes tens of milliseconds, and under the group's row lock
 * concurrent grants to that group would wait for each other's hashing. issueOnFirstGrant decides
 * again under the lock; a user this missed is hashed there, and one it prepared needlessly costs
 * nothing but the hashing.
 */
export async function prepareFirstGrants(req: TenantRequest, userIds: string[]): Promise<PreparedPasswords> {
  if (userIds.length > MAX_PREPARED) return new Map();
  const ids = userIds.filter(isUuid);
  if (ids.length === 0) return new Map();
  const first = await storesFor(req).credentials.withoutCredentials(ids);
  const withEmail = first.filter((u) => preferredEmail(u.data.emails));
  return new Map(await Promise.all(withEmail.map(async (u) => [u.id, await newOneTimePassword(req.now)] as const)));
}

/** A new one-time password and its slow hash (one hash at OTP_SCRYPT_PARAMS through `hasher`). */
export async function newOneTimePassword(now: Date, hasher: PasswordHasher = scryptHasher): Promise<OneTimePassword> {
  const secret = generateOneTimePassword();
  return { secret, hash: await hasher.hash(secret, OTP_SCRYPT_PARAMS), expiresAt: new Date(now.getTime() + OTP_VALIDITY_MS) };
}

/**
 * A new one-time password by e-mail; it voids any earlier one and ends the user's sessions
 * (SPEC §6.2). The caller never sees it: it exists only in the outbox until delivered (SPEC §3.4,
 * §6.3). `prepared` is one the caller hashed before it took the user's row lock.
 */
export async function sendNewOneTimePassword(tx: TenantRequest, userId: string, reason: 'ordered' | 'forgotten', prepared?: OneTimePassword): Promise<void> {
  const { credentials, sessions, outbox } = storesFor(tx);
  const user = await credentials.find(userId);
  if (!user) throw notFound(`no User ${userId}`);
  const email = preferredEmail(user.data.emails);
  if (!email) throw invalid(`Användaren ${user.user_name} har ingen e-postadress att skicka engångslösenordet till. Lägg till en e-postadress först.`, 'invalidValue');
  const { secret, hash, expiresAt } = prepared ?? (await newOneTimePassword(tx.now));
  const status = user.credential_status === 'none' ? 'pending' : user.credential_status;
  await credentials.update(user.id, { otp_hash: hash, otp_expires_at: expiresAt, credential_status: status });
  await sessions.endAllOf(user.id, tx.now);
  await outbox.enqueue({ ...oneTimePasswordEmail(tx.org, user.id, email, secret, expiresAt), createdAt: tx.now });
  await audit(tx, { action: reason === 'ordered' ? 'otp.order' : 'otp.forgotten', resourceType: 'User', resourceId: user.id });
  if (status !== user.credential_status) {
    await audit(tx, { action: 'credentials.status', resourceType: 'User', resourceId: user.id, changes: { credentialStatus: { before: user.credential_status, after: status } } });
  }
}

/** POST /api/v1/users/{id}/one-time-password: an admin orders one for a user of the organisation. */
export async function orderOneTimePassword(req: TenantRequest, userId: string): Promise<void> {
  await inTransaction(req, (tx) => sendNewOneTimePassword(tx, userId, 'ordered'));
}
