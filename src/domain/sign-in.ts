import type { Knex } from 'knex';
import { ScimError, badRequest, unauthorized } from '../scim/scim-error.ts';
import { credentialsStore, type CredentialRow } from '../store/credentials-store.ts';
import { sessionsStore, type SessionRow } from '../store/sessions-store.ts';
import { organisationsStore } from '../store/organisations-store.ts';
import { auditStore } from '../store/audit-store.ts';
import { newSessionToken, sessionTokenHash } from '../auth/session-tokens.ts';
import type { Principal } from '../auth/tokens.ts';
import { OTP_SCRYPT_PARAMS, SCRYPT_PARAMS, hashPassword, verifyPassword } from './password-hash.ts';
import { describePasswordProblems, passwordProblems } from './password-policy.ts';
import { sendNewOneTimePassword } from './credentials.ts';
import { ADMIN_SERVICE } from './services.ts';
import { preferredEmail } from './emails.ts';
import type { TenantRequest } from './tenant-request.ts';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;

export interface SessionSettings {
  idleMs: number;
  absoluteMs: number;
}

const WRONG = 'Fel användarnamn eller lösenord.';

/** A hash to verify against when there is no user, so an unknown name costs what a known one does. */
let dummyHash: Promise<string> | undefined;
const dummy = () => (dummyHash ??= hashPassword('no such user, no such password', SCRYPT_PARAMS));

type Failure = { ok: false; reason: 'unknown' | 'inactive' | 'locked' | 'wrong'; user?: CredentialRow };
type Check = { ok: true; with: 'password' | 'otp' } | Failure;

/**
 * Checks a user's password or one-time password and keeps the failure count: five failures in a
 * row lock the account for 15 minutes (SPEC §3.4). The counts are written even when the check
 * fails, which is why callers commit before they answer 401.
 */
async function checkSecret(db: Knex, user: CredentialRow | undefined, secret: string, allow: { password: boolean; otp: boolean }, now: Date): Promise<Check> {
  if (!user) {
    await verifyPassword(secret, await dummy());
    return { ok: false, reason: 'unknown' };
  }
  if (user.locked_until && new Date(user.locked_until) > now) return { ok: false, reason: 'locked', user };
  if (!user.active) {
    await verifyPassword(secret, await dummy());
    return { ok: false, reason: 'inactive', user };
  }
  if (allow.password && user.password_hash && (await verifyPassword(secret, user.password_hash))) return { ok: true, with: 'password' };
  if (allow.otp && user.otp_hash && user.otp_expires_at && new Date(user.otp_expires_at) > now && (await verifyPassword(secret, user.otp_hash))) {
    return { ok: true, with: 'otp' };
  }
  const store = credentialsStore(db);
  const failures = user.failed_logins + 1;
  if (failures >= MAX_FAILED_LOGINS) {
    await store.update(user.org_id, user.id, { failed_logins: 0, locked_until: new Date(now.getTime() + LOCKOUT_MS), credential_status: 'locked' });
    await authAudit(db, user, 'login.lockout', now);
  } else {
    await store.update(user.org_id, user.id, { failed_logins: failures });
    await authAudit(db, user, 'login.failure', now);
  }
  return { ok: false, reason: 'wrong', user };
}

function refusalOf(check: Failure, now: Date): ScimError {
  if (check.reason === 'locked' && check.user?.locked_until) {
    const minutes = Math.ceil((new Date(check.user.locked_until).getTime() - now.getTime()) / 60000);
    return unauthorized(`Kontot är låst efter ${MAX_FAILED_LOGINS} misslyckade inloggningar. Försök igen om ${minutes} minuter eller beställ ett nytt engångslösenord.`);
  }
  return unauthorized(WRONG);
}

async function authAudit(db: Knex, user: Pick<CredentialRow, 'org_id' | 'id' | 'user_name'>, action: string, now: Date, requestId: string | null = null) {
  await auditStore(db).append({ orgId: user.org_id, actorSubject: user.user_name, actorRole: 'user', action, resourceType: 'User', resourceId: user.id, requestId }, now);
}

export interface LoginResult {
  token: string;
  passwordChangeOnly: boolean;
  role: 'admin' | 'user';
  idleExpiresAt: Date;
  expiresAt: Date;
}

/** POST /auth/login. A one-time password opens a session that may only change the password. */
export async function login(db: Knex, userName: string, secret: string, now: Date, settings: SessionSettings, requestId: string): Promise<LoginResult> {
  const outcome = await db.transaction(async (trx): Promise<{ failure: Failure } | { result: LoginResult }> => {
    const user = await credentialsStore(trx).byUserName(userName);
    const check = await checkSecret(trx, user, secret, { password: true, otp: true }, now);
    if (!check.ok) return { failure: check };
    const u = user!;
    const status = u.password_hash ? 'active' : 'pending';
    await credentialsStore(trx).update(u.org_id, u.id, { failed_logins: 0, locked_until: null, credential_status: check.with === 'password' ? 'active' : status });
    const token = newSessionToken();
    const session = await sessionsStore(trx).open(u.org_id, u.id, sessionTokenHash(token), check.with === 'otp', now, settings.absoluteMs);
    await authAudit(trx, u, check.with === 'otp' ? 'login.one-time-password' : 'login', now, requestId);
    const admin = await credentialsStore(trx).isMemberOfService(u.org_id, u.id, ADMIN_SERVICE);
    return { result: { token, passwordChangeOnly: check.with === 'otp', role: admin ? 'admin' : 'user', idleExpiresAt: new Date(now.getTime() + settings.idleMs), expiresAt: new Date(session.expires_at) } };
  });
  if ('failure' in outcome) throw refusalOf(outcome.failure, now);
  return outcome.result;
}

/** POST /auth/password: with the current password or a one-time password (which it uses up). */
export async function changePassword(db: Knex, body: { userName: string; currentPassword?: string; oneTimePassword?: string; newPassword: string }, now: Date, requestId: string): Promise<void> {
  const secret = body.currentPassword ?? body.oneTimePassword ?? '';
  const allow = { password: body.currentPassword !== undefined, otp: body.oneTimePassword !== undefined };
  const outcome = await db.transaction(async (trx): Promise<{ failure: Failure } | { done: true }> => {
    const user = await credentialsStore(trx).byUserName(body.userName);
    const check = await checkSecret(trx, user, secret, allow, now);
    if (!check.ok) return { failure: check };
    const u = user!;
    const problems = passwordProblems(body.newPassword, u.user_name);
    if (problems.length) throw badRequest(describePasswordProblems(problems), 'invalidValue');
    await credentialsStore(trx).update(u.org_id, u.id, {
      password_hash: await hashPassword(body.newPassword),
      password_changed_at: now,
      otp_hash: null,
      otp_expires_at: null,
      failed_logins: 0,
      locked_until: null,
      credential_status: 'active',
    });
    await sessionsStore(trx).endAllOf(u.org_id, u.id, now);
    await authAudit(trx, u, 'password.change', now, requestId);
    return { done: true };
  });
  if ('failure' in outcome) throw refusalOf(outcome.failure, now);
}

/**
 * POST /auth/forgot: always 202. A user who exists, is active and has an e-mail gets a new
 * one-time password; everyone else costs the same hashing, so neither the answer nor its timing
 * tells whether the name exists.
 */
export async function forgotPassword(db: Knex, userName: string, now: Date, requestId: string): Promise<void> {
  await db.transaction(async (trx) => {
    const user = await credentialsStore(trx).byUserName(userName);
    const org = user ? await organisationsStore(trx).find(user.org_id) : undefined;
    if (!user || !user.active || !org || !org.active || !preferredEmail(user.data.emails)) {
      await hashPassword('no one-time password is sent', OTP_SCRYPT_PARAMS);
      return;
    }
    const tx: TenantRequest = { db: trx, org, principal: { role: 'user', subject: user.user_name, orgId: org.id, jti: requestId, expiresAt: 0 }, requestId, now };
    try {
      await sendNewOneTimePassword(tx, user.id, 'forgotten');
    } catch (err) {
      // A user without a usable address gets nothing, and the caller still hears 202.
      if (!(err instanceof ScimError)) throw err;
    }
  });
}

/**
 * Resolves a session token to the principal it carries, ending the session when it has been idle
 * too long. A member of behorighetsadministrator acts as `admin` of the organisation.
 */
export async function verifySession(db: Knex, token: string, now: Date, settings: SessionSettings): Promise<Principal | undefined> {
  const sessions = sessionsStore(db);
  const session = await sessions.byTokenHash(sessionTokenHash(token));
  if (!session) return undefined;
  const idleEnds = new Date(new Date(session.last_seen_at).getTime() + settings.idleMs);
  if (idleEnds <= now || new Date(session.expires_at) <= now) {
    await sessions.end(session, now);
    return undefined;
  }
  const user = await credentialsStore(db).find(session.org_id, session.user_id);
  const org = await organisationsStore(db).find(session.org_id);
  if (!user || !user.active || !org?.active) return undefined;
  await sessions.touch(session, now);
  const admin = await credentialsStore(db).isMemberOfService(session.org_id, session.user_id, ADMIN_SERVICE);
  return principalOf(session, user, admin, now, settings);
}

function principalOf(session: SessionRow, user: CredentialRow, admin: boolean, now: Date, settings: SessionSettings): Principal {
  return {
    role: admin ? 'admin' : 'user',
    subject: user.user_name,
    orgId: session.org_id,
    jti: session.id,
    expiresAt: Math.min(new Date(session.expires_at).getTime(), now.getTime() + settings.idleMs),
    session: { id: session.id, userId: session.user_id, passwordChangeOnly: session.password_change_only },
  };
}

export async function logout(db: Knex, principal: Principal, now: Date): Promise<void> {
  if (!principal.session || !principal.orgId) return;
  await sessionsStore(db).end({ org_id: principal.orgId, id: principal.session.id }, now);
}
