// Every migration, one at a time, from an empty database on the run's server (CI runs this on the
// embedded PostgreSQL 18 and again on the machine's PostgreSQL 15): the schema they build must
// be the one checked in as expected-schema.txt, so both servers end with the same schema, and
// rolling all of them back must leave nothing behind.
//
// After a new migration: IDM_WRITE_EXPECTED_SCHEMA=1 npx tsx test/run.ts test/store/migrations.test.ts
// rewrites the file; review its diff like code.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import { openDb, type Db } from '../../src/store/db.ts';
import { databaseUrlOn, TEST_SERVER_ENV } from '../helpers/test-server.ts';

const expectedFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'expected-schema.txt');
const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
const migrationFiles = fs.readdirSync(migrationsDir).filter((f) => f.endsWith('.ts')).sort();

/**
 * The schema of `public` as sorted lines of text: tables and their columns, constraints, indexes,
 * functions and triggers, written so that PostgreSQL 15 and 18 describe the same schema the same
 * way (NOT NULL, which 18 also keeps as a constraint, is read from the column only).
 */
async function describeSchema(db: Db): Promise<string[]> {
  const rows = async (sql: string): Promise<Record<string, string>[]> => (await db.raw(sql)).rows;
  const lines: string[] = [];
  for (const c of await rows(`
      select table_name, column_name, data_type, udt_name, is_nullable, column_default
        from information_schema.columns where table_schema = 'public'`)) {
    const type = c.data_type === 'USER-DEFINED' || c.data_type === 'ARRAY' ? c.udt_name : c.data_type;
    lines.push(`column ${c.table_name}.${c.column_name} ${type}${c.is_nullable === 'NO' ? ' not null' : ''}${c.column_default ? ` default ${c.column_default}` : ''}`);
  }
  for (const c of await rows(`
      select conrelid::regclass::text as table_name, conname, pg_get_constraintdef(oid) as def
        from pg_constraint
       where connamespace = 'public'::regnamespace and contype in ('p', 'u', 'f', 'c', 'x')`)) {
    lines.push(`constraint ${c.table_name}.${c.conname} ${c.def}`);
  }
  for (const i of await rows(`select indexname, indexdef from pg_indexes where schemaname = 'public'`)) {
    lines.push(`index ${i.indexname} ${i.indexdef}`);
  }
  for (const f of await rows(`
      select p.proname, pg_get_function_identity_arguments(p.oid) as args, md5(p.prosrc) as body
        from pg_proc p where p.pronamespace = 'public'::regnamespace`)) {
    lines.push(`function ${f.proname}(${f.args}) body md5 ${f.body}`);
  }
  for (const t of await rows(`
      select tgrelid::regclass::text as table_name, tgname, pg_get_triggerdef(oid) as def
        from pg_trigger where not tgisinternal and tgrelid::regclass::text not like 'pg_%'`)) {
    lines.push(`trigger ${t.table_name}.${t.tgname} ${t.def}`);
  }
  return lines.sort();
}

describe('migrations from an empty database', () => {
  let admin: Knex;
  let db: Db;
  const name = `idm_migrations_${crypto.randomBytes(6).toString('hex')}`;

  before(async () => {
    const serverUrl = process.env[TEST_SERVER_ENV] || process.env.DATABASE_URL;
    assert.ok(serverUrl, 'no PostgreSQL server: run the tests with `npm test`');
    admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
    await admin.raw(`create database ${name}`);
    db = openDb({ databaseUrl: databaseUrlOn(serverUrl, name), poolMax: 1 });
  });

  after(async () => {
    await db?.destroy();
    await admin?.raw(`drop database if exists ${name} with (force)`);
    await admin?.destroy();
  });

  it('each migration applies on its own, in order, and together they build the expected schema', async () => {
    const applied: string[] = [];
    for (let step = 0; step < migrationFiles.length; step++) {
      const [, files] = (await db.migrate.up()) as [number, string[]];
      applied.push(...files.map((f) => path.basename(f)));
    }
    assert.deepEqual(applied, migrationFiles);
    const [, pending] = (await db.migrate.list()) as [unknown[], unknown[]];
    assert.equal(pending.length, 0);

    const schema = await describeSchema(db);
    if (process.env.IDM_WRITE_EXPECTED_SCHEMA) fs.writeFileSync(expectedFile, `${schema.join('\n')}\n`);
    const expected = fs.readFileSync(expectedFile, 'utf8').trimEnd().split('\n');
    assert.deepEqual(schema, expected, 'the migrations built a schema other than test/store/expected-schema.txt');
  });

  it('rolled back one at a time they leave only the migration bookkeeping, and applied again they build the same schema', async () => {
    const before = await describeSchema(db);
    for (let step = 0; step < migrationFiles.length; step++) await db.migrate.down();
    const left = (await describeSchema(db)).filter((line) => !/\bknex_migrations(_lock)?\b/.test(line));
    assert.deepEqual(left, []);
    await db.migrate.latest();
    assert.deepEqual(await describeSchema(db), before);
  });
});
