import type { Knex } from 'knex';

/** The connection pool of a database handle (knex's tarn pool), for the saturation gauges. */
export interface PoolStats {
  /** Connections lent out to a query or transaction. */
  used: number;
  /** Connections open and idle. */
  free: number;
  /** Callers waiting for a connection: above zero, the pool is saturated. */
  pending: number;
  max: number;
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  max: number;
}

export function poolStats(db: Knex): PoolStats {
  const pool = (db.client as { pool?: TarnPool }).pool;
  // A destroyed (or not yet used) knex has no pool.
  if (!pool) return { used: 0, free: 0, pending: 0, max: 0 };
  return { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires(), max: pool.max };
}
