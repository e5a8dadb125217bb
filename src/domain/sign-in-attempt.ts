import { Unauthenticated } from '../model/outcomes.ts';
import type { CredentialRow } from '../store/credentials-store.ts';
import type { Repositories, TenantRepositories } from '../store/repositories.ts';
import { OTP_SCRYPT_PARAMS, SCRYPT_PARAMS, unmatchableHash, type PasswordHasher } from './password-hash.ts';
import { couldBeOneTimePassword } from './one-time-password.ts';
import { lockoutEmail } from './messages.ts';
import { preferredEmail } from './emails.ts';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;

/** One request to /auth: the repositories, the slow hashing, the request's clock and id. */
export interface AuthRequest {
  repos: Repositories;
  hasher: PasswordHasher;
  now: Date;
  requestId: string;
}

/** The secrets a request may sign in with: /auth/login either, /auth/password the one it names. */
export interface Admits {
  password: boolean;
  otp: boolean;
}

export interface Accepted {
  user: CredentialRow;
  with: 'password' | 'otp';
}

/** The one answer to every failed sign-in, whatever the reason (SPEC §6.2). */
export const signInFailed = (): Unauthenticated => new Unauthenticated('Fel användarnamn eller lösenord.');

/** What a user without a password or a one-time password is verified against instead. */
const NO_PASSWORD = unmatchableHash(SCRYPT_PARAMS);
const NO_ONE_TIME_PASSWORD = unmatchableHash(OTP_SCRYPT_PARAMS);

interface Match {
  with: 'password' | 'otp';
  /** The stored hash that matched, so the decision under the row lock can see it is still current. */
  hash: string;
}

/**
 * The one slow step of a sign-in (SPEC §6.2: every failure costs the same, so its timing does not
 * tell whether a username exists). The candidate is verified once at full cost (SCRYPT_PARAMS)
 * against the user's password hash, or, where there is no user, no password or the request does
 * not admit one, against a hash of no secret at the same cost. When the candidate has the form of
 * a one-time password it is also verified, once at OTP cost, against the user's unexpired
 * one-time password or a hash of no secret at that cost. So what an attempt costs depends on the
 * candidate's form, which the caller chose, and on nothing about the user.
 *
 * One full-cost verification cannot decide both secrets: one-time passwords are hashed at the
 * lower OTP_SCRYPT_PARAMS because a grant to many users hashes one for each; hashing them at full
 * cost would make every first grant, import and order about ten times slower.
 */
async function verifyCandidate(hasher: PasswordHasher, user: CredentialRow | undefined, secret: string, admits: Admits, now: Date): Promise<Match | undefined> {
  const password = admits.password ? (user?.password_hash ?? undefined) : undefined;
  const otp = admits.otp && user?.otp_hash && user.otp_expires_at && new Date(user.otp_expires_at) > now ? user.otp_hash : undefined;
  const [passwordMatches, otpMatches] = await Promise.all([
    hasher.verify(secret, password ?? NO_PASSWORD),
    couldBeOneTimePassword(secret) ? hasher.verify(secret, otp ?? NO_ONE_TIME_PASSWORD) : false,
  ]);
  if (password && passwordMatches) return { with: 'password', hash: password };
  if (otp && otpMatches) return { with: 'otp', hash: otp };
  return undefined;
}

/**
 * Signs `userName` in with `secret`, then runs `accepted` in the transaction that holds the
 * user's row lock. The verification runs before that transaction, so a slow hash never holds a
 * lock or a database connection; the decision is taken under the lock on the row as it is then.
 * Failure counts and audit events are committed before the refusal is thrown.
 */
export async function signIn<T>(req: AuthRequest, userName: string, secret: string, admits: Admits, accepted: (trx: TenantRepositories, sign: Accepted) => Promise<T>): Promise<T> {
  const found = await req.repos.directory.userNames.locate(userName);
  const seen = found && (await req.repos.forOrg(found.orgId).credentials.find(found.userId));
  const match = await verifyCandidate(req.hasher, seen, secret, admits, req.now);
  const outcome = await req.repos.transaction(async (repos): Promise<{ refusal: Unauthenticated } | { result: T }> => {
    const trx = seen && repos.forOrg(seen.org_id);
    const user = trx && (await trx.credentials.find(seen.id, { lock: true }));
    if (!trx || !user) return { refusal: signInFailed() };
    const current = match && (match.with === 'password' ? user.password_hash : user.otp_hash) === match.hash ? match.with : undefined;
    const refusal = await refusalFor(trx, req, user, current);
    if (refusal) return { refusal };
    return { result: await accepted(trx, { user, with: current! }) };
  });
  if ('refusal' in outcome) throw outcome.refusal;
  return outcome.result;
}

/**
 * Decides an attempt on an existing user. Five failures in a row lock the account for 15 minutes
 * (SPEC §3.4); the lock is told only to someone who gave the right secret, and to the user by
 * e-mail when it begins. Attempts while locked, and on an inactive user or organisation, are
 * refused without counting; a user who holds no credential has nothing to guess, so nothing is
 * counted either (and a lock would mark a user who was never granted a service).
 */
async function refusalFor(trx: TenantRepositories, req: AuthRequest, user: CredentialRow, matched: Match['with'] | undefined): Promise<Unauthenticated | undefined> {
  const org = await trx.organisation();
  if (!user.active || !org?.active) {
    await authAudit(trx, user, 'login.failure', req);
    return signInFailed();
  }
  if (user.locked_until && new Date(user.locked_until) > req.now) {
    await authAudit(trx, user, 'login.locked', req);
    if (!matched) return signInFailed();
    const minutes = Math.ceil((new Date(user.locked_until).getTime() - req.now.getTime()) / 60_000);
    return new Unauthenticated(`Kontot är låst efter ${MAX_FAILED_LOGINS} misslyckade inloggningar i rad. Försök igen om ${minutes} minuter.`);
  }
  if (matched) return undefined;
  const store = trx.credentials;
  const failures = user.failed_logins + 1;
  if (!user.password_hash && !user.otp_hash) {
    await authAudit(trx, user, 'login.failure', req);
  } else if (failures < MAX_FAILED_LOGINS) {
    await store.update(user.id, { failed_logins: failures });
    await authAudit(trx, user, 'login.failure', req);
  } else {
    const lockedUntil = new Date(req.now.getTime() + LOCKOUT_MS);
    await store.update(user.id, { failed_logins: 0, locked_until: lockedUntil, credential_status: 'locked' });
    await authAudit(trx, user, 'login.lockout', req);
    await credentialStatusAudit(trx, user, 'locked', req);
    const email = preferredEmail(user.data.emails);
    if (email) await trx.outbox.enqueue({ ...lockoutEmail(org, user.id, email, failures, lockedUntil), createdAt: req.now });
  }
  return signInFailed();
}

/** SPEC §3.7: auth events name the user as actor, and the request. */
export async function authAudit(trx: TenantRepositories, user: Pick<CredentialRow, 'id' | 'user_name'>, action: string, req: Pick<AuthRequest, 'now' | 'requestId'>): Promise<void> {
  await trx.audit.append({ actorSubject: user.user_name, actorRole: 'user', action, resourceType: 'User', resourceId: user.id, requestId: req.requestId }, req.now);
}

/**
 * A change of the user's credentialStatus, as its own audit event: receivers of change events
 * hear of it (SPEC §6.6). Nothing is written when the status stays what it was.
 */
export async function credentialStatusAudit(trx: TenantRepositories, user: Pick<CredentialRow, 'id' | 'user_name' | 'credential_status'>, after: string, req: Pick<AuthRequest, 'now' | 'requestId'>): Promise<void> {
  if (user.credential_status === after) return;
  await trx.audit.append({
    actorSubject: user.user_name, actorRole: 'user', action: 'credentials.status', resourceType: 'User', resourceId: user.id, requestId: req.requestId,
    changes: { credentialStatus: { before: user.credential_status, after } },
  }, req.now);
}
