import type { Knex } from 'knex';

export interface AuditEvent {
  orgId: string | null;
  actorSubject: string;
  actorRole: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  requestId: string | null;
  /** Changed attributes with before/after values; secrets never reach this far. */
  changes?: Record<string, { before?: unknown; after?: unknown; changed?: true }> | null;
}

/**
 * Appends events of any organisation (or of none: a token of an operator without one); the table
 * refuses UPDATE and DELETE by trigger, so there is nothing else here.
 */
export function auditStore(db: Knex) {
  return {
    async append(event: AuditEvent, at: Date): Promise<void> {
      await db('audit_events').insert({
        org_id: event.orgId,
        at,
        actor_subject: event.actorSubject,
        actor_role: event.actorRole,
        action: event.action,
        resource_type: event.resourceType,
        resource_id: event.resourceId,
        request_id: event.requestId,
        changes: event.changes ? JSON.stringify(event.changes) : null,
      });
    },
  };
}

/** One organisation's audit trail: every event appended here names that organisation. */
export function tenantAudit(db: Knex, orgId: string) {
  const store = auditStore(db);
  return {
    append: (event: Omit<AuditEvent, 'orgId'>, at: Date) => store.append({ ...event, orgId }, at),
  };
}
