import crypto from 'node:crypto';
import type { User } from '../model/user.ts';
import type { TerminationStatus } from '../model/termination.ts';
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
export async function followActiveChange(tx: TenantRequest, before: User | undefined, after: User): Promise<void> {
  if (!before || before.active === after.active) return;
  const store = storesFor(tx).terminations;
  if (!after.active) {
    if (tx.principal.role === 'operator') return;
    const id = crypto.randomUUID();
    const opened = await store.open(id, { id: after.id, userName: after.userName }, tx.principal, tx.now);
    if (opened) await auditTermination(tx, id, 'termination.open', after.id, undefined, 'open');
    return;
  }
  const cancelled = await store.closeOpenFor(after.id, 'cancelled', tx.principal.subject, tx.now);
  if (cancelled) await auditTermination(tx, cancelled, 'termination.cancel', after.id, 'open', 'cancelled');
}

export function auditTermination(tx: TenantRequest, id: string, action: string, userId: string, before: TerminationStatus | undefined, after: TerminationStatus) {
  return audit(tx, {
    action,
    resourceType: 'TerminationRequest',
    resourceId: id,
    changes: { userId: { after: userId }, status: before ? { before, after } : { after } },
  });
}

/** A purged user's open request is completed with the purge: the user is ended either way. */
export async function completeForPurgedUser(tx: TenantRequest, userId: string): Promise<void> {
  const closed = await storesFor(tx).terminations.closeOpenFor(userId, 'completed', tx.principal.subject, tx.now);
  if (closed) await auditTermination(tx, closed, 'termination.complete', userId, 'open', 'completed');
}
