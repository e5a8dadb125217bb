import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pino from 'pino';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/store/embedded-postgres.ts';
import { migrate, openDb } from '../../src/store/db.ts';

/** Where test files find the run's server, and the name of its migrated template database. */
export const TEST_SERVER_ENV = 'IDM_TEST_SERVER_URL';
export const TEST_TEMPLATE_ENV = 'IDM_TEST_TEMPLATE';

/**
 * `skip` for tests of the embedded server itself: it is what runs without DATABASE_URL, so the
 * run with one (CI's second) need not test it again.
 */
export const onlyWithoutDatabaseUrl = process.env.DATABASE_URL ? 'DATABASE_URL is set: the embedded default is tested in the run without it' : false;

export function databaseUrlOn(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestServer {
  /** What the test files need in their environment. */
  env: Record<string, string>;
  /** e.g. "embedded PostgreSQL 18.4". */
  name: string;
  stop: () => Promise<void>;
}

/**
 * The PostgreSQL server of a whole test run: DATABASE_URL's, or one embedded server in a temp
 * directory (no fsync: it is thrown away). Migrations run once, into a template database that
 * each test file copies; the template is named for this run, so runs sharing a server do not meet.
 */
export async function startTestServer(): Promise<TestServer> {
  let embedded: EmbeddedPostgres | undefined;
  let dataDir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  const template = `idm_template_${crypto.randomBytes(6).toString('hex')}`;
  const onServer = async <T>(work: (admin: Knex) => Promise<T>): Promise<T> => {
    const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
    return work(admin).finally(() => admin.destroy());
  };
  const stop = async () => {
    try {
      if (serverUrl) await onServer((admin) => admin.raw(`drop database if exists ${template} with (force)`));
    } finally {
      await embedded?.stop();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    }
  };
  try {
    if (!serverUrl) {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-test-pg-'));
      embedded = await startEmbeddedPostgres({ dataDir, durable: false, log: pino({ level: 'error' }, pino.destination(2)) });
      serverUrl = embedded.url;
    }
    const version = await onServer(async (admin) => {
      await admin.raw(`create database ${template}`);
      return ((await admin.raw('show server_version')).rows[0].server_version as string).split(' ')[0];
    });
    const db = openDb({ databaseUrl: databaseUrlOn(serverUrl, template), poolMax: 1 });
    await migrate(db).finally(() => db.destroy());
    return {
      env: { [TEST_SERVER_ENV]: serverUrl, [TEST_TEMPLATE_ENV]: template },
      name: `${embedded ? 'embedded PostgreSQL' : 'PostgreSQL of DATABASE_URL'} ${version}`,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
