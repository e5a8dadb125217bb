import type { Knex } from 'knex';

// Issue 11: totalResults of an unfiltered User listing (every page the web pages show) was a
// COUNT(*) over the organisation's index entries, 17 ms of PostgreSQL CPU at 100,000 users and
// growing with them. The count is kept instead, by statement triggers on users, in a few rows per
// organisation: each backend adds to the row of its own shard (its pid modulo 16), so concurrent
// creations in one organisation seldom wait on each other's row lock. The sum over the shards is
// exact in every snapshot, as the rows change in the same transactions as the users.
// No foreign key: deleting an organisation deletes its users by cascade, whose trigger then
// writes here, after the organisation row is gone. A deleted organisation's rows stay, at zero.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table user_counts (
      org_id uuid not null,
      shard smallint not null,
      n bigint not null,
      primary key (org_id, shard)
    )
  `);
  await knex.raw(`
    create function user_counts_add() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into user_counts (org_id, shard, n)
        select org_id, pg_backend_pid() % 16, count(*) from inserted group by org_id
        on conflict (org_id, shard) do update set n = user_counts.n + excluded.n;
      else
        insert into user_counts (org_id, shard, n)
        select org_id, pg_backend_pid() % 16, -count(*) from deleted group by org_id
        on conflict (org_id, shard) do update set n = user_counts.n + excluded.n;
      end if;
      return null;
    end $$
  `);
  await knex.raw(`
    create function user_counts_clear() returns trigger language plpgsql as $$
    begin
      delete from user_counts;
      return null;
    end $$
  `);
  await knex.raw(`create trigger users_count_insert after insert on users referencing new table as inserted for each statement execute function user_counts_add()`);
  await knex.raw(`create trigger users_count_delete after delete on users referencing old table as deleted for each statement execute function user_counts_add()`);
  await knex.raw(`create trigger users_count_truncate after truncate on users for each statement execute function user_counts_clear()`);
  await knex.raw(`insert into user_counts (org_id, shard, n) select org_id, 0, count(*) from users group by org_id`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists users_count_truncate on users');
  await knex.raw('drop trigger if exists users_count_delete on users');
  await knex.raw('drop trigger if exists users_count_insert on users');
  await knex.raw('drop function if exists user_counts_clear()');
  await knex.raw('drop function if exists user_counts_add()');
  await knex.raw('drop table if exists user_counts');
}
