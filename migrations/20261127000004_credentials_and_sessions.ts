import type { Knex } from 'knex';

// SPEC §3.4 and §6.2: one-time passwords, lockout and sessions. Secrets are stored only as hashes:
// the one-time password as a slow hash beside the user, a session token as its SHA-256 (the token
// itself has 256 random bits, so a fast hash suffices and lookups stay indexable).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.text('otp_hash');
    t.timestamp('otp_expires_at', { useTz: true });
    t.integer('failed_logins').notNullable().defaultTo(0);
    t.timestamp('locked_until', { useTz: true });
  });

  await knex.schema.createTable('sessions', (t) => {
    t.uuid('org_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('user_id').notNullable();
    t.text('token_hash').notNullable().unique();
    // A session opened with a one-time password may only change the password.
    t.boolean('password_change_only').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('ended_at', { useTz: true });
    t.primary(['org_id', 'id']);
    t.foreign(['org_id', 'user_id']).references(['org_id', 'id']).inTable('users').onDelete('CASCADE');
  });
  await knex.raw('create index sessions_org_user on sessions (org_id, user_id) where ended_at is null');

  // A message's secret (a one-time password) is kept apart from its body, which holds only a
  // placeholder, so the secret can be erased once the message is delivered (SPEC §3.8).
  await knex.schema.alterTable('outbox', (t) => {
    t.text('secret');
    t.uuid('user_id');
    t.timestamp('claimed_until', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('outbox', (t) => {
    t.dropColumn('secret');
    t.dropColumn('user_id');
    t.dropColumn('claimed_until');
  });
  await knex.schema.dropTableIfExists('sessions');
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('otp_hash');
    t.dropColumn('otp_expires_at');
    t.dropColumn('failed_logins');
    t.dropColumn('locked_until');
  });
}
