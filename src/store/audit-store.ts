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

/** Appends events; the table refuses UPDATE and DELETE by trigger, so there is nothing else here. */
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
