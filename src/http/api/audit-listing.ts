import type { AppContext } from '../context.ts';
import { sendJson } from '../respond.ts';
import type { AuditPage, AuditRecord } from '../../model/audit.ts';
import { encodeAuditCursor } from './audit-params.ts';

/** One audit event as the API shows it; `id` is a string because it is a bigint. */
export function auditEventToJson(event: AuditRecord): Record<string, unknown> {
  return {
    id: event.id,
    at: new Date(event.at).toISOString(),
    organisationId: event.org_id,
    actor: { subject: event.actor_subject, role: event.actor_role },
    action: event.action,
    resourceType: event.resource_type,
    resourceId: event.resource_id,
    requestId: event.request_id,
    changes: event.changes ?? null,
  };
}

/** `{ events, nextCursor }`, nextCursor only when another page follows. */
export function sendAuditPage(ctx: AppContext, page: AuditPage, fingerprint: string): void {
  const body: Record<string, unknown> = { events: page.events.map(auditEventToJson) };
  if (page.next) body.nextCursor = encodeAuditCursor(page.next, fingerprint);
  sendJson(ctx, 200, body);
}
