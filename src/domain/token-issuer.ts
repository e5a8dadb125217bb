import type { SigningKey } from '../auth/signing-key.ts';
import { parseTtl, signToken, type TokenSettings } from '../auth/tokens.ts';
import { isRole, namesReceiver, needsOrganisation, type Role } from '../model/principal.ts';
import { isUuid } from '../model/ids.ts';
import { invalid, notFound } from '../model/outcomes.ts';
import type { IssuedToken } from '../store/tokens-store.ts';
import type { Repositories } from '../store/repositories.ts';
import type { Acting } from './tenant-request.ts';

export const MAX_TTL_SECONDS = 366 * 86400;

export interface TokenRequest {
  role: Role;
  subject: string;
  orgId: string | undefined;
  /** For role receiver (SPEC §6.6). */
  receiverId?: string;
  ttlSeconds: number;
}

export function parseTokenRequest(body: unknown): TokenRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object', 'invalidSyntax');
  const input = body as Record<string, unknown>;
  if (!isRole(input.role)) throw invalid('role must be admin, provisioner, operator or receiver', 'invalidValue');
  if (typeof input.subject !== 'string' || input.subject.trim() === '' || input.subject.length > 200) {
    throw invalid('subject must be a non-empty string of at most 200 characters', 'invalidValue');
  }
  const org = input.organisationId ?? input.org;
  if (org !== undefined && org !== null && typeof org !== 'string') throw invalid('organisationId must be a string', 'invalidValue');
  if (needsOrganisation(input.role) && !org) throw invalid(`a ${input.role} token needs an organisationId`, 'invalidValue');
  const receiverId = input.receiverId;
  if (namesReceiver(input.role)) {
    if (typeof receiverId !== 'string' || !isUuid(receiverId)) throw invalid('a receiver token needs the receiverId of a registered receiver', 'invalidValue');
    if (org) throw invalid('a receiver token names no organisation', 'invalidValue');
  } else if (receiverId !== undefined && receiverId !== null) {
    throw invalid('only a receiver token names a receiverId', 'invalidValue');
  }
  let ttlSeconds = 3600;
  if (input.ttl !== undefined) {
    try {
      ttlSeconds = typeof input.ttl === 'number' ? input.ttl : parseTtl(String(input.ttl));
    } catch (err) {
      throw invalid((err as Error).message, 'invalidValue');
    }
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > MAX_TTL_SECONDS) {
      throw invalid(`ttl must be between 1 second and ${MAX_TTL_SECONDS / 86400} days`, 'invalidValue');
    }
  }
  return { role: input.role, subject: input.subject.trim(), orgId: (org as string | undefined) || undefined, receiverId: namesReceiver(input.role) ? (receiverId as string).toLowerCase() : undefined, ttlSeconds };
}

/** What tokens are signed with. */
export interface TokenSigner {
  key: SigningKey;
  settings: TokenSettings;
}

/**
 * Signs a token and records its claims (never the token) so it can be listed and revoked, with
 * its audit event, in one transaction.
 */
export async function issueToken(repos: Repositories, signer: TokenSigner, req: TokenRequest, acting: Acting): Promise<{ token: string; record: IssuedToken }> {
  return repos.transaction(async (tx) => {
    const issued = await signAndRecord(tx, signer, req, acting.principal.subject, acting.now);
    await tx.operator.audit.append({
      ...actorOf(acting),
      orgId: req.orgId ?? null,
      action: 'token.issue',
      resourceType: 'Token',
      resourceId: issued.record.jti,
      changes: { role: { after: req.role }, subject: { after: req.subject }, expiresAt: { after: issued.record.expiresAt.toISOString() } },
    }, acting.now);
    return issued;
  });
}

/** Revokes a token by its jti; revoking one already revoked keeps the first revocation time. */
export async function revokeToken(repos: Repositories, jti: string, acting: Acting): Promise<IssuedToken> {
  return repos.transaction(async (tx) => {
    const token = await tx.operator.tokens.revoke(jti, acting.now);
    if (!token) throw notFound(`no token with jti ${jti}`);
    await tx.operator.audit.append({ ...actorOf(acting), orgId: token.orgId, action: 'token.revoke', resourceType: 'Token', resourceId: token.jti }, acting.now);
    return token;
  });
}

/** Newest first; of one organisation when `orgId` is given. */
export function listTokens(repos: Repositories, orgId: string | undefined): Promise<IssuedToken[]> {
  return repos.operator.tokens.list({ orgId });
}

function actorOf(acting: Acting) {
  return { actorSubject: acting.principal.subject, actorRole: acting.principal.role, requestId: acting.requestId };
}

async function signAndRecord(repos: Repositories, { key, settings }: TokenSigner, req: TokenRequest, issuedBy: string, now: Date) {
  if (req.orgId && !(await repos.operator.organisations.find(req.orgId))) throw notFound(`no organisation ${req.orgId}`);
  if (req.receiverId && !(await repos.operator.events.find(req.receiverId))) throw notFound(`no receiver ${req.receiverId}`);
  const signed = await signToken(key, settings, { role: req.role, subject: req.subject, orgId: req.orgId, receiverId: req.receiverId, ttlSeconds: req.ttlSeconds }, now.getTime());
  const record: IssuedToken = {
    jti: signed.jti,
    orgId: req.orgId ?? null,
    role: req.role,
    subject: req.subject,
    issuedAt: signed.issuedAt,
    expiresAt: signed.expiresAt,
    revokedAt: null,
    issuedBy,
  };
  await repos.operator.tokens.record(record);
  return { token: signed.token, record };
}

export function tokenToJson(t: IssuedToken): Record<string, unknown> {
  return {
    jti: t.jti,
    organisationId: t.orgId,
    role: t.role,
    subject: t.subject,
    issuedAt: t.issuedAt.toISOString(),
    expiresAt: t.expiresAt.toISOString(),
    revokedAt: t.revokedAt ? t.revokedAt.toISOString() : null,
    issuedBy: t.issuedBy,
  };
}
