import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { isEmbedded } from './db.ts';

/**
 * Names a query so that node-postgres prepares it once per connection: PostgreSQL then skips
 * parsing and, once it settles on a generic plan, planning — most of its cost for a one-row
 * lookup. Only for fixed-shape hot queries (the name is the hash of the SQL text, so a shape
 * that varies with client input would fill the server's statement cache). PGlite has no use for
 * it and runs the query as it is.
 */
export function prepared<Q extends Knex.QueryBuilder>(db: Knex, query: Q): Q {
  if (isEmbedded(db)) return query;
  const { sql } = query.toSQL();
  return query.options({ name: `idm_${crypto.createHash('sha1').update(sql).digest('base64url').slice(0, 20)}` }) as Q;
}
