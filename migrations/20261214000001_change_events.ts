import type { Knex } from 'knex';

// Issue 14 (SPEC §6.6): change events for registered receivers.
//
// The audit trail is the change log. Every change already appends its audit event in the same
// transaction as the change, so an event without its change (or the reverse) cannot exist. The
// events that receivers get are built from the audit rows of the actions below; what this
// migration adds to those rows is their place in the order of delivery:
//
// - xact_id: the transaction that wrote the row (RFC 9967 §2.2 `txn`).
// - event_order: the transaction id, raised to the event_order of the resource's previous
//   event when that is higher. A sequence number would be taken before commit and could become
//   visible after a higher one had been delivered, losing the lower one. Instead, delivery reads
//   only rows whose event_order is below the oldest transaction still running
//   (pg_snapshot_xmin): a row's event_order is never below its own transaction id, so every such
//   row is committed (or gone), and every row written later gets an event_order at or above that
//   horizon. The raise keeps a resource's events in the order of its row lock: a transaction that
//   took its id before another but changed the resource after it still sorts after it.
export const CHANGE_ACTIONS = ['user.create', 'user.update', 'user.delete', 'user.purge', 'group.members', 'credentials.issue', 'credentials.status'];

export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table audit_events add column xact_id xid8, add column event_order xid8');
  await knex.raw(`
    create function audit_events_event_order() returns trigger language plpgsql as $$
    begin
      new.xact_id := pg_current_xact_id();
      new.event_order := greatest(new.xact_id, (
        select event_order from audit_events
        where org_id = new.org_id and resource_id = new.resource_id and event_order is not null
        order by event_order desc limit 1));
      return new;
    end $$
  `);
  const actions = CHANGE_ACTIONS.map((a) => `'${a}'`).join(', ');
  await knex.raw(`
    create trigger audit_events_event_order before insert on audit_events for each row
    when (new.resource_id is not null and new.action in (${actions}))
    execute function audit_events_event_order()
  `);
  await knex.raw('create index audit_events_change_log on audit_events (event_order, id) where event_order is not null');
  await knex.raw('create index audit_events_resource_order on audit_events (org_id, resource_id, event_order desc) where event_order is not null');

  await knex.raw(`
    create table event_receivers (
      id uuid primary key,
      name text not null,
      audience text not null,
      endpoint_url text,
      org_ids uuid[],
      event_types text[],
      payload text not null check (payload in ('notice', 'full')),
      enabled boolean not null default true,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      position_order xid8 not null,
      position_id bigint not null default 0,
      claim_token uuid,
      claimed_until timestamptz,
      checked_at timestamptz,
      next_attempt_at timestamptz,
      attempts integer not null default 0,
      delivered_count bigint not null default 0,
      last_delivered_at timestamptz,
      last_error text,
      last_error_at timestamptz
    )
  `);
  await knex.raw('create unique index event_receivers_name on event_receivers (lower(name))');
  // Events a receiver refused for good (RFC 8935 §2.4 invalid_request), kept for the operators.
  await knex.raw(`
    create table event_parked (
      receiver_id uuid not null references event_receivers (id) on delete cascade,
      audit_id bigint not null,
      jti text not null,
      error text not null,
      parked_at timestamptz not null,
      primary key (receiver_id, audit_id)
    )
  `);
  // RFC 8936 §2.4: acknowledgements of polled events beyond the receiver's position.
  await knex.raw(`
    create table event_acks (
      receiver_id uuid not null references event_receivers (id) on delete cascade,
      audit_id bigint not null,
      primary key (receiver_id, audit_id)
    )
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists event_acks');
  await knex.raw('drop table if exists event_parked');
  await knex.raw('drop table if exists event_receivers');
  await knex.raw('drop index if exists audit_events_resource_order');
  await knex.raw('drop index if exists audit_events_change_log');
  await knex.raw('drop trigger if exists audit_events_event_order on audit_events');
  await knex.raw('drop function if exists audit_events_event_order()');
  await knex.raw('alter table audit_events drop column if exists event_order, drop column if exists xact_id');
}
