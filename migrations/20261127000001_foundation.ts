import type { Knex } from 'knex';

// Every tenant table carries org_id and its primary key and indexes lead with it, so the data
// can be distributed by organisation (SPEC §7). userName uniqueness across the whole server is
// kept in user_names, keyed by the lower-cased name, which works under distribution too.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('organisations', (t) => {
    t.uuid('id').primary();
    t.text('name').notNullable();
    t.text('organisation_number').unique();
    t.text('type').notNullable().checkIn(['school', 'municipality']);
    t.text('school_form');
    t.boolean('reports_via_file').notNullable().defaultTo(false);
    t.boolean('active').notNullable().defaultTo(true);
    t.text('postal_address');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('modified_at', { useTz: true }).notNullable();
  });

  // The service catalog (SPEC §3.2). `granted_by` is data, not code: 'tenant' (admin, provisioner,
  // operator), 'form_rule' (operator only at form-only schools), 'declaration' (operator with a
  // registered declaration, admin API only).
  await knex.schema.createTable('services', (t) => {
    t.text('code').primary();
    t.text('display_name').notNullable();
    t.specificType('offered_to', 'text[]').notNullable();
    t.text('granted_by').notNullable().checkIn(['tenant', 'form_rule', 'declaration']);
    t.text('description').notNullable();
    t.integer('position').notNullable();
  });
  await knex('services').insert([
    { code: 'studietider-och-utbildningar', display_name: 'Studietider och utbildningar', offered_to: ['school'], granted_by: 'tenant', description: 'Rapportera studietider och utbildningar till CSN.', position: 1 },
    { code: 'studeranderapportering', display_name: 'Studeranderapportering', offered_to: ['school'], granted_by: 'form_rule', description: 'Rapportera studerandes studier till CSN.', position: 2 },
    { code: 'studiestartsstod', display_name: 'Studiestartsstöd', offered_to: ['municipality'], granted_by: 'tenant', description: 'Handlägga studiestartsstöd.', position: 3 },
    { code: 'behorighetsadministrator', display_name: 'Behörighetsadministratör', offered_to: ['school', 'municipality'], granted_by: 'declaration', description: 'Administrera organisationens behörigheter.', position: 4 },
  ]);

  await knex.schema.createTable('groups', (t) => {
    t.uuid('org_id').notNullable().references('organisations.id').onDelete('CASCADE');
    t.uuid('id').notNullable();
    t.text('service_code').notNullable().references('services.code');
    t.text('display_name').notNullable();
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('modified_at', { useTz: true }).notNullable();
    t.primary(['org_id', 'id']);
    t.unique(['org_id', 'service_code']);
  });
  await knex.raw('create index groups_org_display_name on groups (org_id, lower(display_name))');

  await knex.schema.createTable('users', (t) => {
    t.uuid('org_id').notNullable().references('organisations.id').onDelete('CASCADE');
    t.uuid('id').notNullable();
    t.text('user_name').notNullable();
    t.text('external_id');
    t.boolean('active').notNullable().defaultTo(true);
    // The SCIM attributes a client wrote (core and enterprise), without id, meta and derived values.
    t.jsonb('data').notNullable();
    t.text('credential_status').notNullable().defaultTo('none');
    // When the user last stopped being a member of any group; null while a member (purge, §3.6).
    t.timestamp('ungrouped_since', { useTz: true });
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('modified_at', { useTz: true }).notNullable();
    t.primary(['org_id', 'id']);
  });
  await knex.raw('create unique index users_org_external_id on users (org_id, external_id) where external_id is not null');
  await knex.raw('create index users_org_user_name on users (org_id, lower(user_name))');
  await knex.raw('create index users_org_created on users (org_id, created_at, id)');
  await knex.raw('create index users_org_modified on users (org_id, modified_at, id)');

  await knex.schema.createTable('user_names', (t) => {
    t.text('lower_name').primary();
    t.uuid('org_id').notNullable();
    t.uuid('user_id').notNullable();
  });

  await knex.schema.createTable('memberships', (t) => {
    t.uuid('org_id').notNullable();
    t.uuid('group_id').notNullable();
    t.uuid('user_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.primary(['org_id', 'group_id', 'user_id']);
    t.foreign(['org_id', 'group_id']).references(['org_id', 'id']).inTable('groups').onDelete('CASCADE');
    t.foreign(['org_id', 'user_id']).references(['org_id', 'id']).inTable('users').onDelete('CASCADE');
  });
  await knex.raw('create index memberships_org_user on memberships (org_id, user_id)');

  await knex.schema.createTable('tokens', (t) => {
    t.text('jti').primary();
    t.uuid('org_id').references('organisations.id').onDelete('CASCADE');
    t.text('role').notNullable();
    t.text('subject').notNullable();
    t.timestamp('issued_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.text('issued_by').notNullable();
  });
  await knex.raw('create index tokens_org on tokens (org_id, issued_at)');

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('org_id');
    t.timestamp('at', { useTz: true }).notNullable();
    t.text('actor_subject').notNullable();
    t.text('actor_role').notNullable();
    t.text('action').notNullable();
    t.text('resource_type').notNullable();
    t.text('resource_id');
    t.text('request_id');
    t.jsonb('changes');
  });
  await knex.raw('create index audit_events_org_at on audit_events (org_id, at desc, id desc)');
  // Append-only, enforced by the database rather than by convention (SPEC §3.7).
  await knex.raw(`
    create function audit_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_events is append-only';
    end $$;
  `);
  await knex.raw(`
    create trigger audit_events_no_change before update or delete on audit_events
    for each row execute function audit_events_append_only();
  `);

  await knex.schema.createTable('outbox', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('org_id');
    t.text('channel').notNullable().checkIn(['email', 'letter']);
    t.text('recipient').notNullable();
    t.text('subject').notNullable();
    t.text('body').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable();
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('delivered_at', { useTz: true });
  });
  await knex.raw('create index outbox_pending on outbox (status, next_attempt_at)');
  await knex.raw('create index outbox_org on outbox (org_id, created_at)');
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['outbox', 'audit_events', 'tokens', 'memberships', 'user_names', 'users', 'groups', 'services', 'organisations']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.raw('drop function if exists audit_events_append_only');
}
