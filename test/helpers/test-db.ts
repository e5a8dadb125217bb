import crypto from 'node:crypto';
import knexFactory from 'knex';
import { openDb, migrate, type Db } from '../../src/store/db.ts';
import { databaseUrlOn, TEST_SERVER_ENV, TEST_TEMPLATE_ENV } from './test-server.ts';

export interface TestDb {
  db: Db;
  /** The URL of the throwaway database. */
  url: string;
  drop: () => Promise<void>;
}

/**
 * A fresh, migrated database for one test file on the run's PostgreSQL server (test/run.ts starts
 * an embedded one, or uses DATABASE_URL's), dropped again by drop(). It is a copy of the run's
 * migrated template database, which is much faster than migrating each time.
 */
export async function createTestDb(): Promise<TestDb> {
  const serverUrl = process.env[TEST_SERVER_ENV] || process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('no PostgreSQL server for the tests: run them with `npm test` (it starts one) or set DATABASE_URL');
  const template = process.env[TEST_TEMPLATE_ENV];
  const name = `idm_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw(template ? `create database ${name} template ${template}` : `create database ${name}`);
  const url = databaseUrlOn(serverUrl, name);
  const db = openDb({ databaseUrl: url, poolMax: 20 });
  if (!template) await migrate(db);
  return {
    db,
    url,
    drop: async () => {
      await db.destroy();
      await admin.raw(`drop database if exists ${name} with (force)`);
      await admin.destroy();
    },
  };
}
