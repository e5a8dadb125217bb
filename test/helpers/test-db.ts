import crypto from 'node:crypto';
import knexFactory from 'knex';
import { openDb, migrate, type Db } from '../../src/store/db.ts';

export interface TestDb {
  db: Db;
  /** The URL of the throwaway PostgreSQL database, when running on PostgreSQL. */
  url: string | undefined;
  drop: () => Promise<void>;
}

/**
 * A fresh, migrated database for one test file: in-memory PGlite by default, or a new database on
 * the server named by DATABASE_URL, dropped again by drop().
 */
export async function createTestDb(): Promise<TestDb> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const db = openDb({});
    await migrate(db);
    return { db, url: undefined, drop: () => db.destroy() };
  }
  const name = `idm_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = openDb({ databaseUrl: url.toString(), poolMax: 20 });
  await migrate(db);
  return {
    db,
    url: url.toString(),
    drop: async () => {
      await db.destroy();
      await admin.raw(`drop database if exists ${name} with (force)`);
      await admin.destroy();
    },
  };
}
