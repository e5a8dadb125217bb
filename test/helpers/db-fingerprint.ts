import type { Knex } from 'knex';

/**
 * Every table's rows as one digest each, to compare two databases row for row (knex_migrations
 * by name only: its times are the target's own).
 */
export async function fingerprint(db: Knex): Promise<Record<string, string>> {
  const tables = (await db.raw(`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'knex_migrations%'`)).rows as { table_name: string }[];
  const out: Record<string, string> = {};
  for (const { table_name: table } of tables) {
    const row = (await db.raw(`select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest from ${table} t`)).rows[0];
    out[table] = `${row.n} rows ${row.digest}`;
  }
  out.knex_migrations = ((await db.raw(`select string_agg(name, ',' order by id) as names from knex_migrations`)).rows[0].names as string) ?? '';
  return out;
}
