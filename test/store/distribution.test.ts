// ARCHITECTURE.md "Beyond one PostgreSQL server": the tenant tables are meant to be distributed
// by organisation (Citus, `org_id` as the distribution column). Citus enforces a primary key or a
// unique index of a distributed table only when it holds the distribution column, so every table
// with an `org_id` column must have `org_id` in its primary key and in every unique index — read
// here from the catalog of a migrated database, not from the migrations' source.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createTestDb, type TestDb } from '../helpers/test-db.ts';

/**
 * The tables with an `org_id` column that are not distributed by it, each with its reason; the
 * same list, with the same reasons, is in ARCHITECTURE.md. A new entry needs a reason there too.
 */
const EXCEPTIONS: Record<string, string> = {
  user_names: 'the server-wide userName registry: distributed by its own key, lower_name',
  tokens: 'holds operator tokens without an organisation (org_id null); small: a reference table',
  audit_events: 'holds operator events without an organisation (org_id null); local to the coordinator',
  outbox: 'a queue claimed across organisations with SKIP LOCKED; local to the coordinator',
};

interface IndexRow {
  table_name: string;
  index_name: string;
  is_primary: boolean;
  columns: string[];
}

describe('the schema can be distributed by organisation', () => {
  let t: TestDb;
  let tenantTables: string[];
  let uniqueIndexes: IndexRow[];

  before(async () => {
    t = await createTestDb();
    tenantTables = (
      await t.db.raw(`
        select c.table_name from information_schema.columns c
          join information_schema.tables t using (table_schema, table_name)
         where c.table_schema = 'public' and c.column_name = 'org_id' and t.table_type = 'BASE TABLE'
         order by 1`)
    ).rows.map((r: { table_name: string }) => r.table_name);
    // Every column of each unique index (an expression index names no column for its expression,
    // so an index on (org_id, lower(x)) still counts as holding org_id).
    uniqueIndexes = (
      await t.db.raw(`
        select tc.relname as table_name, ic.relname as index_name, i.indisprimary as is_primary,
               array(select a.attname from unnest(i.indkey) k join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k)::text[] as columns
          from pg_index i
          join pg_class tc on tc.oid = i.indrelid
          join pg_class ic on ic.oid = i.indexrelid
         where i.indisunique and tc.relnamespace = 'public'::regnamespace`)
    ).rows;
  });

  after(async () => {
    await t?.drop();
  });

  it('finds the tenant tables', () => {
    for (const table of ['users', 'groups', 'memberships', 'sessions', 'user_counts']) assert.ok(tenantTables.includes(table), table);
  });

  it('every tenant table has a primary key, and org_id is in it and in every unique index', () => {
    const failures: string[] = [];
    for (const table of tenantTables.filter((name) => !(name in EXCEPTIONS))) {
      const indexes = uniqueIndexes.filter((i) => i.table_name === table);
      if (!indexes.some((i) => i.is_primary)) failures.push(`${table}: no primary key`);
      for (const index of indexes) {
        if (!index.columns.includes('org_id')) failures.push(`${table}: ${index.is_primary ? 'primary key' : 'unique index'} ${index.index_name} (${index.columns.join(', ')}) lacks org_id`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('each exception is a table with org_id that does fail the rule, and ARCHITECTURE.md names it', () => {
    const architecture = fs.readFileSync('ARCHITECTURE.md', 'utf8');
    for (const table of Object.keys(EXCEPTIONS)) {
      assert.ok(tenantTables.includes(table), `${table} is no longer a table with org_id: take it off the list`);
      const lacking = uniqueIndexes.filter((i) => i.table_name === table && !i.columns.includes('org_id'));
      assert.ok(lacking.length > 0, `${table} now passes the rule: take it off the list`);
      assert.match(architecture, new RegExp(`\\| \`${table}\` \\|`), `ARCHITECTURE.md does not list ${table}`);
    }
  });
});
