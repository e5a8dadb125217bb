import type { Knex } from 'knex';
import type { Principal } from '../auth/tokens.ts';
import type { Organisation } from './organisations.ts';
import { auditStore, type AuditEvent } from '../store/audit-store.ts';
import { usersStore, type AuditActor } from '../store/users-store.ts';
import { groupsStore } from '../store/groups-store.ts';
import { isTransient } from '../store/database-errors.ts';

/**
 * One request acting in one organisation: who acts, in which organisation, and the stores scoped
 * to it. `withTransaction` gives the same view over a transaction, so every write of a request
 * commits or rolls back together.
 */
export interface TenantRequest {
  db: Knex;
  org: Organisation;
  principal: Principal;
  requestId: string;
  now: Date;
}

export function storesFor(req: TenantRequest) {
  return {
    users: usersStore(req.db, req.org.id),
    groups: groupsStore(req.db, req.org.id),
    audit: auditStore(req.db),
  };
}

/** Attempts of a transaction PostgreSQL rolls back as a deadlock victim or serialization failure. */
const TRANSACTION_ATTEMPTS = 3;

/**
 * Runs `work` in a transaction, or in the caller's when it has one. A transaction of our own that
 * PostgreSQL rolled back for a deadlock is run again: nothing of it was stored, and the request
 * should not fail because another happened to lock the same rows in another order.
 */
export async function inTransaction<T>(req: TenantRequest, work: (tx: TenantRequest) => Promise<T>): Promise<T> {
  if (req.db.isTransaction) return work(req);
  for (let attempt = 1; ; attempt++) {
    try {
      return await req.db.transaction((trx) => work({ ...req, db: trx }));
    } catch (err) {
      if (!isTransient(err) || attempt >= TRANSACTION_ATTEMPTS) throw err;
    }
  }
}

/** Who an audit event names as acting: the token's subject and role, and the request. */
export function actorOf(req: TenantRequest): AuditActor {
  return { subject: req.principal.subject, role: req.principal.role, requestId: req.requestId };
}

export function audit(req: TenantRequest, event: Omit<AuditEvent, 'orgId' | 'actorSubject' | 'actorRole' | 'requestId'>): Promise<void> {
  const actor = actorOf(req);
  return auditStore(req.db).append({ ...event, orgId: req.org.id, actorSubject: actor.subject, actorRole: actor.role, requestId: actor.requestId }, req.now);
}
