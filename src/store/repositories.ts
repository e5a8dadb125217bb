import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { usersStore } from './users-store.ts';
import { groupsStore } from './groups-store.ts';
import { credentialsStore, userNameDirectory } from './credentials-store.ts';
import { sessionDirectory, sessionsStore } from './sessions-store.ts';
import { auditStore, tenantAudit } from './audit-store.ts';
import { allOrganisationsAuditReader, auditReader } from './audit-query.ts';
import { outboxStore, tenantOutbox } from './outbox-store.ts';
import { poolStats, type PoolStats } from './pool-stats.ts';
import { readArchive, writeArchive, type ArchiveSummary, type ImportOptions } from './database-archive.ts';
import type { Readable, Writable } from 'node:stream';
import { outboxDeliveryStore } from './outbox-delivery-store.ts';
import { eventsStore } from './events-store.ts';
import { adminDeclarationsStore } from './admin-declarations-store.ts';
import { terminationQueue, terminationsStore } from './terminations-store.ts';
import { userImportStore } from './user-import-store.ts';
import { userExportPages } from './user-export-query.ts';
import { resourceListing } from './resource-listing.ts';
import { catalogStore, organisationsStore } from './organisations-store.ts';
import { tokensStore } from './tokens-store.ts';
import { isTransient } from './database-errors.ts';
import { migrate, openDatabase, type Db } from './db.ts';

/**
 * The one entry of store/: every repository, built over a connection pool or a transaction.
 * Nothing outside store/ sees a query builder or SQL; the domain, auth, delivery and the edges
 * take these.
 *
 * - `forOrg(orgId)`: the repositories of one organisation, every statement already scoped to it
 *   (STYLE §1: the tenant is part of the repository, not of each query).
 * - `operator`: cross-tenant work, for the operator API and the server's own jobs: organisations,
 *   tokens, the termination queue, the outbox and its delivery, the audit of every organisation.
 * - `directory`: the two lookups that cannot know the organisation in advance (a userName at
 *   sign-in, a session token), which answer where to go next and nothing more.
 * - `transaction(fn)`: the same shape bound to one transaction.
 */
export function createRepositories(db: Knex): Repositories {
  // Built once per organisation and kept: a request asks for its organisation's repositories many
  // times, and they hold nothing but the connection (or transaction) and the organisation id.
  const tenants = new Map<string, TenantRepositories>();
  const repos: Repositories = {
    inTransaction: db.isTransaction === true,
    forOrg(orgId) {
      let tenant = tenants.get(orgId);
      if (!tenant) {
        if (tenants.size >= MAX_KEPT_TENANTS) tenants.clear();
        tenant = tenantRepositories(db, orgId);
        tenants.set(orgId, tenant);
      }
      return tenant;
    },
    operator: operatorRepositories(db),
    directory: {
      userNames: userNameDirectory(db),
      sessions: sessionDirectory(db),
    },
    transaction(work, options = {}) {
      // A transaction inside one joins it: the caller's commit or rollback decides for both.
      if (db.isTransaction) return work(repos);
      const once = () => db.transaction((trx) => work(createRepositories(trx)));
      return options.retry === false ? once() : retryTransient(once);
    },
    savepoint(work) {
      if (!db.isTransaction) throw new Error('a savepoint needs a transaction');
      return retryTransient(() => db.transaction((savepoint) => work(createRepositories(savepoint))));
    },
    async ping() {
      await db.raw('select 1');
    },
    poolStats: () => poolStats(db),
  };
  return repos;
}

/** Bounds the organisations whose repositories one Repositories keeps built. */
const MAX_KEPT_TENANTS = 10_000;

function tenantRepositories(db: Knex, orgId: string) {
  // The stores' query builders serve the listings inside store/ and leave it no further.
  const { query: _users, ...users } = usersStore(db, orgId);
  const { query: _groups, columns: _columns, ...groups } = groupsStore(db, orgId);
  return {
    orgId,
    /** The organisation itself, as stored now. */
    organisation: () => organisationsStore(db).find(orgId),
    users,
    groups,
    credentials: credentialsStore(db, orgId),
    sessions: sessionsStore(db, orgId),
    audit: tenantAudit(db, orgId),
    auditTrail: auditReader(db, orgId),
    outbox: tenantOutbox(db, orgId),
    declarations: adminDeclarationsStore(db, orgId),
    terminations: terminationsStore(db, orgId),
    userImport: userImportStore(db, orgId),
    exportPages: (pageSize?: number) => userExportPages(db, orgId, pageSize),
    listing: resourceListing(db, orgId),
  };
}

function operatorRepositories(db: Knex) {
  return {
    organisations: organisationsStore(db),
    catalog: catalogStore(db),
    tokens: tokensStore(db),
    terminations: terminationQueue(db),
    outbox: outboxStore(db),
    outboxDelivery: outboxDeliveryStore(db),
    /** Change-event receivers and their place in the change log (SPEC §6.6). */
    events: eventsStore(db),
    audit: auditStore(db),
    auditTrail: allOrganisationsAuditReader(db),
  };
}

export type TenantRepositories = ReturnType<typeof tenantRepositories>;
export type OperatorRepositories = ReturnType<typeof operatorRepositories>;

export interface Repositories {
  /** True when these repositories are bound to a transaction. */
  inTransaction: boolean;
  forOrg(orgId: string): TenantRepositories;
  operator: OperatorRepositories;
  directory: {
    userNames: ReturnType<typeof userNameDirectory>;
    sessions: ReturnType<typeof sessionDirectory>;
  };
  /**
   * Runs `work` in a transaction, or in the caller's when these repositories are bound to one.
   * A transaction of its own that PostgreSQL rolled back as a deadlock victim or for a
   * serialization failure is run again (see retryTransient); `retry: false` leaves that to a
   * caller that answers it in its own way.
   */
  transaction<T>(work: (tx: Repositories) => Promise<T>, options?: { retry?: boolean }): Promise<T>;
  /** Runs `work` in a savepoint of the current transaction: a failure undoes only its own writes. */
  savepoint<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Reaches the database once (readiness). */
  ping(): Promise<void>;
  /** The connection pool's use, for the metrics. */
  poolStats(): PoolStats;
}

/** Runs of a transaction (or savepoint) PostgreSQL rolls back as a deadlock victim or serialization failure. */
export const TRANSACTION_ATTEMPTS = 3;

/**
 * The one retry policy of the server: work that PostgreSQL rolled back for a deadlock or a
 * serialization failure stored nothing, and is run again, up to TRANSACTION_ATTEMPTS times. A
 * request should not fail because another happened to lock the same rows in another order.
 */
export async function retryTransient<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isTransient(err) || attempt >= TRANSACTION_ATTEMPTS) throw err;
    }
  }
}

export { isTransient };

/** The database of SPEC §6.1 with its repositories; `close` ends the pool (and an embedded server). */
export interface OpenRepositories {
  repos: Repositories;
  /** Applies the migrations not yet applied; returns their names. */
  migrate: () => Promise<string[]>;
  /** `idm db export` / `idm db import`: the whole database as one archive (database-archive.ts). */
  archive: {
    write: (out: Writable, extras: Record<string, unknown>) => Promise<ArchiveSummary>;
    read: (input: Readable, options?: ImportOptions) => Promise<ArchiveSummary>;
  };
  close: () => Promise<void>;
}

export async function openRepositories(config: { databaseUrl: string | undefined; dataDir: string }, log: Logger): Promise<OpenRepositories> {
  const database = await openDatabase(config, log);
  return {
    repos: createRepositories(database.db),
    migrate: () => migrate(database.db),
    archive: {
      write: (out, extras) => writeArchive(database.db, out, extras),
      read: (input, options) => readArchive(database.db, input, options),
    },
    close: database.close,
  };
}

export type { Db };
export { ArchiveError, type ArchiveManifest, type ArchiveSummary } from './database-archive.ts';
