import type { Knex } from 'knex';

// The operators' audit listing across organisations reads newest first without an org_id, and
// the per-organisation listing filters by resource; both get an index. TRUNCATE bypasses row
// triggers, so append-only needs a statement trigger as well (SPEC §3.7).
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index audit_events_at on audit_events (at desc, id desc)');
  await knex.raw('create index audit_events_org_resource on audit_events (org_id, resource_id, at desc, id desc)');
  await knex.raw(`
    create trigger audit_events_no_truncate before truncate on audit_events
    for each statement execute function audit_events_append_only();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists audit_events_no_truncate on audit_events');
  await knex.raw('drop index if exists audit_events_org_resource');
  await knex.raw('drop index if exists audit_events_at');
}
