import type { Knex } from 'knex';
import type { SigningKey } from '../auth/signing-key.ts';
import { isRole, parseTtl, signToken, type Role, type TokenSettings } from '../auth/tokens.ts';
import { badRequest, notFound } from '../scim/scim-error.ts';
import { organisationsStore } from '../store/organisations-store.ts';
import { tokensStore, type IssuedToken } from '../store/tokens-store.ts';

export const MAX_TTL_SECONDS = 366 * 86400;

export interface TokenRequest {
  role: Role;
  subject: string;
  orgId: string | undefined;
  ttlSeconds: number;
}

export function parseTokenRequest(body: unknown): TokenRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be a JSON object', 'invalidSyntax');
  const input = body as Record<string, unknown>;
  if (!isRole(input.role)) throw badRequest('role must be admin, provisioner or operator', 'invalidValue');
  if (typeof input.subject !== 'string' || input.subject.trim() === '' || input.subject.length > 200) {
    throw badRequest('subject must be a non-empty string of at most 200 characters', 'invalidValue');
  }
  const org = input.organisationId ?? input.org;
  if (org !== undefined && org !== null && typeof org !== 'string') throw badRequest('organisationId must be a string', 'invalidValue');
  if (input.role !== 'operator' && !org) throw badRequest(`a ${input.role} token needs an organisationId`, 'invalidValue');
  let ttlSeconds = 3600;
  if (input.ttl !== undefined) {
    try {
      ttlSeconds = typeof input.ttl === 'number' ? input.ttl : parseTtl(String(input.ttl));
    } catch (err) {
      throw badRequest((err as Error).message, 'invalidValue');
    }
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > MAX_TTL_SECONDS) {
      throw badRequest(`ttl must be between 1 second and ${MAX_TTL_SECONDS / 86400} days`, 'invalidValue');
    }
  }
  return { role: input.role, subject: input.subject.trim(), orgId: (org as string | undefined) || undefined, ttlSeconds };
}

/** Signs a token and records its claims (never the token) so it can be listed and revoked. */
export async function issueToken(db: Knex, key: SigningKey, settings: TokenSettings, req: TokenRequest, issuedBy: string, now: Date) {
  if (req.orgId && !(await organisationsStore(db).find(req.orgId))) throw notFound(`no organisation ${req.orgId}`);
  const signed = await signToken(key, settings, { role: req.role, subject: req.subject, orgId: req.orgId, ttlSeconds: req.ttlSeconds }, now.getTime());
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
  await tokensStore(db).record(record);
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
