import { Conflict, notFound } from '../model/outcomes.ts';
import type { Repositories } from '../store/repositories.ts';
import type { TerminationRow } from '../store/terminations-store.ts';
import type { TerminationStatus } from '../model/termination.ts';
import { deleteUser } from './users-service.ts';
import { auditTermination } from './terminations.ts';
import { storesFor, type Acting, type TenantRequest } from './tenant-request.ts';

/**
 * The operators' queue of termination requests (SPEC §3.3), across organisations: read it, and
 * complete a request by deleting its user.
 */

/**
 * Deletes the user through the same code as SCIM DELETE and marks the request completed, in one
 * transaction. A user already gone (deleted over SCIM meanwhile) completes the request all the same.
 */
export async function completeTermination(repos: Repositories, id: string, acting: Acting): Promise<TerminationRow> {
  return repos.transaction(async (trx) => {
    const request = await trx.operator.terminations.lock(id);
    if (!request) throw notFound(`no termination request ${id}`);
    if (request.status !== 'open') throw new Conflict(`termination request ${id} is already ${request.status}`);
    const org = await trx.operator.organisations.find(request.org_id);
    if (!org) throw notFound(`no termination request ${id}`);
    const tx: TenantRequest = { repos: trx, org, principal: acting.principal, requestId: acting.requestId, now: acting.now };
    if (await storesFor(tx).users.find(request.user_id)) await deleteUser(tx, request.user_id);
    await storesFor(tx).terminations.close(request.id, 'completed', acting.principal.subject, acting.now);
    await auditTermination(tx, request.id, 'termination.complete', request.user_id, 'open', 'completed');
    return (await trx.operator.terminations.find(request.id))!;
  });
}


export interface TerminationListing {
  status?: TerminationStatus;
  orgId?: string;
  limit: number;
}

/** Newest first. */
export function listTerminations(repos: Repositories, filter: TerminationListing): Promise<TerminationRow[]> {
  return repos.operator.terminations.list(filter);
}

export async function getTermination(repos: Repositories, id: string): Promise<TerminationRow> {
  const row = await repos.operator.terminations.find(id);
  if (!row) throw notFound(`no termination request ${id}`);
  return row;
}

export function terminationToJson(row: TerminationRow): Record<string, unknown> {
  return {
    id: row.id,
    organisationId: row.org_id,
    userId: row.user_id,
    userName: row.user_name,
    status: row.status,
    openedAt: new Date(row.opened_at).toISOString(),
    openedBy: row.opened_by_subject,
    openedByRole: row.opened_by_role,
    closedAt: row.closed_at ? new Date(row.closed_at).toISOString() : null,
    closedBy: row.closed_by,
  };
}
