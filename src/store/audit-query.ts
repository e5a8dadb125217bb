import type { Knex } from 'knex';

/**
 * Reading the audit trail (SPEC §3.7). Two readers, so privilege shows in the type: one scoped to
 * one organisation, every statement carrying `org_id = ?`, and the operator's reader across all
 * organisations. Both walk `audit_events` newest first by keyset on (at, id) — never OFFSET — so a
 * page far back costs what the first one does; with an organisation the scan follows the
 * (org_id, at desc, id desc) index.
 */

import type { AuditFilter, AuditPage, AuditPosition, AuditRecord } from '../model/audit.ts';

export type { AuditFilter, AuditPage, AuditPosition, AuditRecord } from '../model/audit.ts';

// Microseconds are kept: a JavaScript Date would round them to milliseconds and the keyset would
// then skip or repeat events that share a millisecond.
const AT_KEY = `to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export type AuditReader = ReturnType<typeof auditReader>;

/** The audit trail of one organisation; there is no way to reach another's events through it. */
export function auditReader(db: Knex, orgId: string) {
  return {
    orgId,
    page: (filter: AuditFilter, after: AuditPosition | undefined, count: number): Promise<AuditPage> =>
      readPage(db, db('audit_events').where('org_id', orgId), filter, after, count),
  };
}

/**
 * Every organisation's events, for operators (SPEC §6.4), including those of no organisation.
 * `organisationId` narrows it to one, which then uses the (org_id, at, id) index.
 */
export function allOrganisationsAuditReader(db: Knex) {
  return {
    page: (filter: AuditFilter & { organisationId?: string }, after: AuditPosition | undefined, count: number): Promise<AuditPage> => {
      const base = db('audit_events');
      if (filter.organisationId !== undefined) base.where('org_id', filter.organisationId);
      return readPage(db, base, filter, after, count);
    },
  };
}

async function readPage(db: Knex, base: Knex.QueryBuilder, filter: AuditFilter, after: AuditPosition | undefined, count: number): Promise<AuditPage> {
  const query = base
    .select(
      db.raw('id::text as id'),
      'org_id', 'at', 'actor_subject', 'actor_role', 'action', 'resource_type', 'resource_id', 'request_id', 'changes',
      db.raw(`${AT_KEY} as at_key`),
    )
    // Qualified: a bare `id` here would name the text column selected above and sort '9' after '10'.
    .orderBy([{ column: 'audit_events.at', order: 'desc' }, { column: 'audit_events.id', order: 'desc' }])
    .limit(count + 1);
  if (filter.from !== undefined) query.whereRaw('at >= ?::timestamptz', [filter.from]);
  if (filter.to !== undefined) query.whereRaw('at < ?::timestamptz', [filter.to]);
  if (filter.resourceType !== undefined) query.where('resource_type', filter.resourceType);
  if (filter.resourceId !== undefined) query.where('resource_id', filter.resourceId);
  if (filter.actor !== undefined) query.where('actor_subject', filter.actor);
  if (filter.action !== undefined) query.where('action', filter.action);
  // A row comparison, so PostgreSQL continues the descending index scan from the position.
  if (after) query.whereRaw('(at, id) < (?::timestamptz, ?::bigint)', [after.at, after.id]);

  const rows = (await query) as AuditRecord[];
  const more = rows.length > count;
  const events = more ? rows.slice(0, count) : rows;
  const last = events[events.length - 1];
  return { events, next: more && last ? { at: last.at_key, id: last.id } : undefined };
}
