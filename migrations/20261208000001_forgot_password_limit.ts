import type { Knex } from 'knex';

// SPEC §6.2: POST /auth/forgot sends a user at most one new one-time password per 15 minutes, so
// the route can neither flood a mailbox nor keep voiding the one-time password a user waits for.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.timestamp('forgot_sent_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('forgot_sent_at');
  });
}
