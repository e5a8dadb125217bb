import type { Knex } from 'knex';

// Issue 15, item 5: every unique index of a tenant table holds org_id, so that the table can be
// distributed by organisation (Citus enforces a unique index only when it holds the distribution
// column). A session's token hash was unique on its own; it is now unique within its
// organisation (the token has 256 random bits, so the wider uniqueness was never the guard), and
// a plain index keeps the one lookup that cannot know the organisation, by token hash, fast.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table sessions drop constraint sessions_token_hash_unique');
  await knex.raw('alter table sessions add constraint sessions_org_id_token_hash_unique unique (org_id, token_hash)');
  await knex.raw('create index sessions_token_hash on sessions (token_hash)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists sessions_token_hash');
  await knex.raw('alter table sessions drop constraint sessions_org_id_token_hash_unique');
  await knex.raw('alter table sessions add constraint sessions_token_hash_unique unique (token_hash)');
}
