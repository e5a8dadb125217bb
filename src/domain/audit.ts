import type { AuditFilter, AuditPage, AuditPosition } from '../model/audit.ts';
import type { Repositories } from '../store/repositories.ts';

/** One page of an organisation's audit trail, newest first (SPEC §6.3). */
export function organisationAuditPage(repos: Repositories, orgId: string, filter: AuditFilter, after: AuditPosition | undefined, count: number): Promise<AuditPage> {
  return repos.forOrg(orgId).auditTrail.page(filter, after, count);
}

/** One page of every organisation's audit trail, for operators (SPEC §6.4). */
export function allOrganisationsAuditPage(repos: Repositories, filter: AuditFilter & { organisationId?: string }, after: AuditPosition | undefined, count: number): Promise<AuditPage> {
  return repos.operator.auditTrail.page(filter, after, count);
}
