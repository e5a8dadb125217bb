import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Principal } from '../auth/tokens.ts';
import { notFound, ScimError } from '../scim/scim-error.ts';
import type { UserRow } from '../store/users-store.ts';
import { organisationsStore } from '../store/organisations-store.ts';
import { terminationQueue, terminationsStore, type TerminationRow, type TerminationStatus } from '../store/terminations-store.ts';
import { deleteUser } from './users-service.ts';
import { audit, storesFor, type TenantRequest } from './tenant-request.ts';

/**
 * Termination requests (SPEC §3.3). Admins and provisioners cannot delete users; deactivating one
 * asks CSN to end it instead. An operator completes the request by deleting the user.
 */

/**
 * Called inside the write transaction of every user write (single requests and Bulk alike).
 * - An admin or provisioner turning `active` from true to false opens a request.
 * - Anyone turning it from false to true cancels the open request.
 * An operator deactivating opens none: operators can delete the user themselves, and a request
 * addressed to the operators by an operator would only be noise in their queue. A user created
 * inactive opens none either: nothing was ended, the user never was active.
 */
export async function followActiveChange(tx: TenantRequest, before: UserRow | undefined, after: UserRow): Promise<void> {
  if (!before || before.active === after.active) return;
  const store = terminationsStore(tx.db, tx.org.id);
  if (!after.active) {
    if (tx.principal.role === 'operator') return;
    const id = crypto.randomUUID();
    const opened = await store.open(id, { id: after.id, userName: after.user_name }, tx.principal, tx.now);
    if (opened) await auditTermination(tx, id, 'termination.open', after.id, undefined, 'open');
    return;
  }
  const cancelled = await store.closeOpenFor(after.id, 'cancelled', tx.principal.subject, tx.now);
  if (cancelled) await auditTermination(tx, cancelled, 'termination.cancel', after.id, 'open', 'cancelled');
}

function auditTermination(tx: TenantRequest, id: string, action: string, userId: string, before: TerminationStatus | undefined, after: TerminationStatus) {
  return audit(tx, {
    action,
    resourceType: 'TerminationRequest',
    resourceId: id,
    changes: { userId: { after: userId }, status: before ? { before, after } : { after } },
  });
}

export interface Acting {
  principal: Principal;
  requestId: string;
  now: Date;
}

/**
 * Deletes the user through the same code as SCIM DELETE and marks the request completed, in one
 * transaction. A user already gone (deleted over SCIM meanwhile) completes the request all the same.
 */
export async function completeTermination(db: Knex, id: string, acting: Acting): Promise<TerminationRow> {
  return db.transaction(async (trx) => {
    const request = await terminationQueue(trx).lock(id);
    if (!request) throw notFound(`no termination request ${id}`);
    if (request.status !== 'open') throw new ScimError(409, `termination request ${id} is already ${request.status}`);
    const org = await organisationsStore(trx).find(request.org_id);
    if (!org) throw notFound(`no termination request ${id}`);
    const tx: TenantRequest = { db: trx, org, principal: acting.principal, requestId: acting.requestId, now: acting.now };
    if (await storesFor(tx).users.find(request.user_id)) await deleteUser(tx, request.user_id);
    await terminationsStore(trx, org.id).close(request.id, 'completed', acting.principal.subject, acting.now);
    await auditTermination(tx, request.id, 'termination.complete', request.user_id, 'open', 'completed');
    return (await terminationQueue(trx).find(request.id))!;
  });
}

/** A purged user's open request is completed with the purge: the user is ended either way. */
export async function completeForPurgedUser(tx: TenantRequest, userId: string): Promise<void> {
  const closed = await terminationsStore(tx.db, tx.org.id).closeOpenFor(userId, 'completed', tx.principal.subject, tx.now);
  if (closed) await auditTermination(tx, closed, 'termination.complete', userId, 'open', 'completed');
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
