import type { Principal } from '../model/principal.ts';
import { notFound, Unauthenticated } from '../model/outcomes.ts';
import type { Organisation } from '../model/organisation.ts';
import type { AuditEvent } from '../store/audit-store.ts';
import type { AuditActor } from '../store/users-store.ts';
import type { Repositories, TenantRepositories } from '../store/repositories.ts';

/** Who acts, in which request, when: an operator's request before it names an organisation. */
export interface Acting {
  principal: Principal;
  requestId: string;
  now: Date;
}

/**
 * One request acting in one organisation: who acts, in which organisation, when, and the
 * repositories it goes through. `inTransaction` gives the same view over a transaction, so every
 * write of a request commits or rolls back together.
 */
export interface TenantRequest {
  repos: Repositories;
  org: Organisation;
  principal: Principal;
  requestId: string;
  now: Date;
}

/** The organisation's repositories, every statement scoped to it. */
export function storesFor(req: TenantRequest): TenantRepositories {
  return req.repos.forOrg(req.org.id);
}

/**
 * Runs `work` in a transaction, or in the caller's when it has one; the repositories' one retry
 * policy runs a transaction PostgreSQL rolled back as a deadlock victim again.
 */
export function inTransaction<T>(req: TenantRequest, work: (tx: TenantRequest) => Promise<T>): Promise<T> {
  return req.repos.transaction((repos) => work({ ...req, repos }));
}

/** Who an audit event names as acting: the token's subject and role, and the request. */
export function actorOf(req: TenantRequest): AuditActor {
  return { subject: req.principal.subject, role: req.principal.role, requestId: req.requestId };
}

export function audit(req: TenantRequest, event: Omit<AuditEvent, 'orgId' | 'actorSubject' | 'actorRole' | 'requestId'>): Promise<void> {
  const actor = actorOf(req);
  return storesFor(req).audit.append({ ...event, actorSubject: actor.subject, actorRole: actor.role, requestId: actor.requestId }, req.now);
}

/** The few seconds' memory of organisations a process keeps (see AppCaches). */
export interface OrganisationCache {
  get(id: string, at: number): Organisation | undefined;
  set(id: string, org: Organisation, at: number): void;
}

/**
 * A request of a token that names `orgId` (SCIM, /api/v1). The token check saw the organisation
 * active a moment ago; it may have gone since, and then the token no longer admits anything.
 */
export async function actInOrganisation(repos: Repositories, orgId: string, acting: Acting, cache?: OrganisationCache): Promise<TenantRequest> {
  const at = acting.now.getTime();
  let org = cache?.get(orgId, at);
  if (!org) {
    org = await repos.forOrg(orgId).organisation();
    if (org) cache?.set(orgId, org, at);
  }
  if (!org || !org.active) throw new Unauthenticated('the organisation the token names does not exist or is not active');
  return { repos, org, ...acting };
}

/** An operator acting in the organisation a path names (SPEC §6.4); an unknown one is 404. */
export async function operatorInOrganisation(repos: Repositories, orgId: string, acting: Acting): Promise<TenantRequest> {
  const org = await repos.operator.organisations.find(orgId);
  if (!org) throw notFound(`no organisation ${orgId}`);
  return { repos, org, ...acting };
}
