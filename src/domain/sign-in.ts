import { invalid } from '../model/outcomes.ts';
import type { CredentialRow } from '../store/credentials-store.ts';
import type { SessionRow } from '../store/sessions-store.ts';
import type { Repositories } from '../store/repositories.ts';
import { newSessionToken, sessionTokenHash } from '../auth/session-tokens.ts';
import type { Principal } from '../model/principal.ts';
import { describePasswordProblems, passwordProblems } from './password-policy.ts';
import { newOneTimePassword, sendNewOneTimePassword } from './credentials.ts';
import { authAudit, credentialStatusAudit, signIn, type AuthRequest } from './sign-in-attempt.ts';
import { ADMIN_SERVICE } from '../model/catalog.ts';
import { preferredEmail } from './emails.ts';
import type { TenantRequest } from './tenant-request.ts';

export interface SessionSettings {
  idleMs: number;
  absoluteMs: number;
}

export interface LoginResult {
  token: string;
  passwordChangeOnly: boolean;
  role: 'admin' | 'user';
  idleExpiresAt: Date;
  expiresAt: Date;
}

/** POST /auth/login. A one-time password opens a session that may only change the password. */
export async function login(req: AuthRequest, userName: string, secret: string, settings: SessionSettings): Promise<LoginResult> {
  const { now } = req;
  return signIn(req, userName, secret, { password: true, otp: true }, async (trx, { user, with: used }) => {
    const status = used === 'password' || user.password_hash ? 'active' : 'pending';
    await trx.credentials.update(user.id, { failed_logins: 0, locked_until: null, credential_status: status });
    const token = newSessionToken();
    const session = await trx.sessions.open(user.id, sessionTokenHash(token), used === 'otp', now, settings.absoluteMs);
    await authAudit(trx, user, used === 'otp' ? 'login.one-time-password' : 'login', req);
    await credentialStatusAudit(trx, user, status, req);
    const admin = await trx.credentials.isMemberOfService(user.id, ADMIN_SERVICE);
    return { token, passwordChangeOnly: used === 'otp', role: admin ? 'admin' : 'user', idleExpiresAt: new Date(now.getTime() + settings.idleMs), expiresAt: new Date(session.expires_at) };
  });
}

/**
 * POST /auth/password: with the current password or a one-time password (which it uses up). The
 * new password ends every session of the user (SPEC §6.2).
 */
export async function changePassword(req: AuthRequest, body: { userName: string; currentPassword?: string; oneTimePassword?: string; newPassword: string }): Promise<void> {
  const secret = body.currentPassword ?? body.oneTimePassword ?? '';
  const admits = { password: body.currentPassword !== undefined, otp: body.oneTimePassword !== undefined };
  await signIn(req, body.userName, secret, admits, async (trx, { user }) => {
    const problems = passwordProblems(body.newPassword, user.user_name);
    if (problems.length) throw invalid(describePasswordProblems(problems), 'invalidValue');
    await trx.credentials.update(user.id, {
      password_hash: await req.hasher.hash(body.newPassword),
      password_changed_at: req.now,
      otp_hash: null,
      otp_expires_at: null,
      failed_logins: 0,
      locked_until: null,
      credential_status: 'active',
    });
    await trx.sessions.endAllOf(user.id, req.now);
    await authAudit(trx, user, 'password.change', req);
    await credentialStatusAudit(trx, user, 'active', req);
  });
}

/** SPEC §6.2: /auth/forgot sends one user at most one one-time password in this long. */
export const FORGOT_INTERVAL_MS = 15 * 60 * 1000;

/**
 * POST /auth/forgot: always 202. A new one-time password is e-mailed only to a user who exists, is
 * active in an active organisation, holds at least one service (SPEC §3.4: a user without one is
 * sent nothing), has an e-mail address and was not sent one by this route in the last 15 minutes.
 * The password is drawn and hashed first, on every call, and thrown away when nothing is sent: the
 * route costs the same either way, so its timing does not tell whether the name exists.
 */
export async function forgotPassword(req: AuthRequest, userName: string): Promise<void> {
  const prepared = await newOneTimePassword(req.now, req.hasher);
  await req.repos.transaction(async (repos) => {
    const found = await repos.directory.userNames.locate(userName);
    if (!found) return;
    const tenant = repos.forOrg(found.orgId);
    const user = await tenant.credentials.find(found.userId, { lock: true });
    if (!user || !user.active || !preferredEmail(user.data.emails)) return;
    if (user.forgot_sent_at && req.now.getTime() - new Date(user.forgot_sent_at).getTime() < FORGOT_INTERVAL_MS) return;
    const org = await tenant.organisation();
    if (!org?.active || !(await tenant.credentials.holdsAnyService(user.id))) return;
    const tx: TenantRequest = { repos, org, principal: { role: 'user', subject: user.user_name, orgId: org.id, jti: req.requestId, expiresAt: 0 }, requestId: req.requestId, now: req.now };
    await sendNewOneTimePassword(tx, user.id, 'forgotten', prepared);
    await tenant.credentials.update(user.id, { forgot_sent_at: req.now });
  });
}

/** A session that is still open, with its user and organisation both active. */
async function openSession(repos: Repositories, token: string, now: Date, settings: SessionSettings) {
  const session = await repos.directory.sessions.byTokenHash(sessionTokenHash(token));
  if (!session) return undefined;
  const tenant = repos.forOrg(session.org_id);
  const idleEnds = new Date(new Date(session.last_seen_at).getTime() + settings.idleMs);
  if (idleEnds <= now || new Date(session.expires_at) <= now) {
    await tenant.sessions.end(session.id, now);
    return undefined;
  }
  const user = await tenant.credentials.find(session.user_id);
  const org = await tenant.organisation();
  if (!user || !user.active || !org?.active) return undefined;
  return { session, tenant, user, idleEnds };
}

/**
 * Resolves a session token to the principal it carries, ending the session when it has been idle
 * too long; a request with it is activity, so its idle deadline moves. A member of
 * behorighetsadministrator acts as `admin` of the organisation.
 */
export async function verifySession(repos: Repositories, token: string, now: Date, settings: SessionSettings): Promise<Principal | undefined> {
  const open = await openSession(repos, token, now, settings);
  if (!open) return undefined;
  const { session, tenant, user } = open;
  await tenant.sessions.touch(session.id, now);
  const admin = await tenant.credentials.isMemberOfService(session.user_id, ADMIN_SERVICE);
  return principalOf(session, user, admin, now, settings);
}

/**
 * When a session ends if nothing more happens, without counting the question as activity: the web
 * pages ask this to warn before the idle timeout, and every tab of a session gets the same answer
 * (the server holds the deadline). Undefined once the session has ended, for whatever reason.
 */
export async function sessionDeadline(repos: Repositories, token: string, now: Date, settings: SessionSettings): Promise<Date | undefined> {
  const open = await openSession(repos, token, now, settings);
  if (!open) return undefined;
  return new Date(Math.min(open.idleEnds.getTime(), new Date(open.session.expires_at).getTime()));
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

export async function logout(repos: Repositories, principal: Principal, now: Date): Promise<void> {
  if (!principal.session || !principal.orgId) return;
  await repos.forOrg(principal.orgId).sessions.end(principal.session.id, now);
}
