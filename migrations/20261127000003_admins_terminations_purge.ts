import type { Knex } from 'knex';

// The permission tool's rules (SPEC §3.3, §3.5, §3.6). Both tables are tenant tables: org_id
// leads their primary keys and every index a tenant's data is reached by (SPEC §7). Neither has a
// foreign key to users: a declaration and a termination request are history and outlive the user.

export async function up(knex: Knex): Promise<void> {
  // SPEC §3.5: the signed declaration ("försäkran") behind each membership of the
  // behorighetsadministrator group. Revoking keeps the row and stamps revoked_at/revoked_by.
  await knex.schema.createTable('admin_declarations', (t) => {
    t.uuid('org_id').notNullable().references('organisations.id').onDelete('CASCADE');
    t.uuid('id').notNullable();
    t.uuid('user_id').notNullable();
    t.text('reference').notNullable();
    t.text('signed_by').notNullable();
    t.text('signed_by_title').notNullable().checkIn(['rektor', 'forvaltningschef']);
    t.date('signed_at').notNullable();
    // The operator's token subject.
    t.text('granted_by').notNullable();
    t.timestamp('granted_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.text('revoked_by');
    t.primary(['org_id', 'id']);
  });
  // One declaration in force per admin; the grant's 409 rests on this, not only on a prior read.
  await knex.raw('create unique index admin_declarations_current on admin_declarations (org_id, user_id) where revoked_at is null');

  // SPEC §3.3: opened when an admin or provisioner deactivates a user, cancelled when the user is
  // reactivated, completed when an operator deletes the user.
  await knex.schema.createTable('termination_requests', (t) => {
    t.uuid('org_id').notNullable().references('organisations.id').onDelete('CASCADE');
    t.uuid('id').notNullable();
    t.uuid('user_id').notNullable();
    // The userName when the request was opened, so the request still names the user once deleted.
    t.text('user_name').notNullable();
    t.text('status').notNullable().checkIn(['open', 'cancelled', 'completed']);
    t.timestamp('opened_at', { useTz: true }).notNullable();
    t.text('opened_by_subject').notNullable();
    t.text('opened_by_role').notNullable();
    t.timestamp('closed_at', { useTz: true });
    t.text('closed_by');
    t.primary(['org_id', 'id']);
  });
  await knex.raw("create unique index termination_requests_one_open on termination_requests (org_id, user_id) where status = 'open'");
  // The operators' queue across organisations, and completion by id alone (operator API only).
  await knex.raw('create index termination_requests_status on termination_requests (status, opened_at desc)');
  await knex.raw('create index termination_requests_id on termination_requests (id)');

  // SPEC §3.6: purge reads the users of one organisation ungrouped since before a cutoff, in
  // keyset order. Partial, so members (the most users) do not weigh on it.
  await knex.raw('create index users_org_ungrouped on users (org_id, ungrouped_since, id) where ungrouped_since is not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists users_org_ungrouped');
  await knex.schema.dropTableIfExists('termination_requests');
  await knex.schema.dropTableIfExists('admin_declarations');
}
