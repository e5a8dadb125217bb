import type { Knex } from 'knex';

// A password written over SCIM (by a provisioner or operator) is kept only as a slow hash, with
// the parameters it was made with inside the encoded string so they can be raised later.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.text('password_hash');
    t.timestamp('password_changed_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('password_hash');
    t.dropColumn('password_changed_at');
  });
}
