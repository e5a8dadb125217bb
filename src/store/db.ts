import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import type { Logger } from 'pino';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

export type Db = Knex;

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

export interface DbOptions {
  /** postgres://… of the database. */
  databaseUrl: string;
  poolMax?: number;
}

export function openDb(options: DbOptions): Db {
  return knexFactory({
    client: 'pg',
    // JIT compilation costs more than it saves on short OLTP statements (seen at ~95 ms on a deep OFFSET).
    connection: { connectionString: options.databaseUrl, options: '-c jit=off' },
    pool: { min: 0, max: options.poolMax ?? 10 },
    migrations: migrationConfig,
  });
}

export interface Database {
  db: Db;
  /** Closes the pool, then stops the embedded server if this opened one. */
  close: () => Promise<void>;
}

/**
 * The database of SPEC §6.1: the PostgreSQL server of DATABASE_URL, or without one the embedded
 * server under DATA_DIR, started here.
 */
export async function openDatabase(config: { databaseUrl: string | undefined; dataDir: string }, log: Logger): Promise<Database> {
  if (config.databaseUrl) {
    const db = openDb({ databaseUrl: config.databaseUrl });
    return { db, close: () => db.destroy() };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, log });
  const db = openDb({ databaseUrl: embedded.url });
  return {
    db,
    close: async () => {
      try {
        await db.destroy();
      } finally {
        await embedded.stop();
      }
    },
  };
}

const migrationConfig: Knex.MigratorConfig = {
  directory: migrationsDir,
  loadExtensions: ['.ts'],
  tableName: 'knex_migrations',
};

// pg_advisory_lock's key for migrations (any constant; the ASCII of "idm:mig").
export const MIGRATION_LOCK_KEY = 0x69646d3a6d6967n;

/**
 * Applies the migrations not yet applied. Several processes starting at once take turns: each
 * waits for PostgreSQL's advisory lock, held on a connection of its own, so only the first
 * migrates and the others find nothing left to do (knex's own lock would make them fail).
 */
export async function migrate(db: Db): Promise<string[]> {
  const lock = knexFactory({ client: 'pg', connection: db.client.config.connection, pool: { min: 0, max: 1 } });
  try {
    // Held until this transaction ends, on this one connection, while the migrations run on the
    // main pool.
    return await lock.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(?::bigint)', [MIGRATION_LOCK_KEY.toString()]);
      const [, files] = (await db.migrate.latest(migrationConfig)) as [number, string[]];
      return files;
    });
  } finally {
    await lock.destroy();
  }
}

/** This version's migrations, in the order they apply. */
export function migrationNames(): string[] {
  return fs.readdirSync(migrationsDir).filter((f) => f.endsWith('.ts')).sort();
}

/** Applies migrations one at a time until the first `names.length` of them are applied. */
export async function migrateUpTo(db: Db, names: string[]): Promise<void> {
  for (;;) {
    const [completed] = (await db.migrate.list(migrationConfig)) as [({ name: string } | string)[], unknown[]];
    if (completed.length >= names.length) return;
    await db.migrate.up(migrationConfig);
  }
}
