import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { isEmbedded } from './db.ts';

const names = new Map<string, string>();

function statementName(sql: string): string {
  let name = names.get(sql);
  if (!name) {
    name = `idm_${crypto.createHash('sha1').update(sql).digest('base64url').slice(0, 20)}`;
    if (names.size < 1000) names.set(sql, name);
  }
  return name;
}

/**
 * Runs a fixed-shape hot query as a named statement, so node-postgres prepares it once per
 * connection: PostgreSQL then skips parsing and, once it settles on a generic plan, planning —
 * most of its cost for a one-row lookup. The query is compiled once and sent raw, sparing knex a
 * second compilation. Only for shapes that do not vary with client input (the name is the hash of
 * the SQL text, and each one is kept by every connection). PGlite runs the query as it is.
 */
export async function preparedRows<T>(db: Knex, query: Knex.QueryBuilder): Promise<T[]> {
  if (isEmbedded(db)) return (await query) as T[];
  const { sql, bindings } = query.toSQL();
  const result = await db.raw(sql, bindings as Knex.RawBinding[]).options({ name: statementName(sql) });
  return result.rows as T[];
}

/** A fixed SQL text with `?` bindings as a named statement (see preparedRows). */
export async function preparedRaw<T>(db: Knex, sql: string, bindings: Knex.RawBinding[]): Promise<T[]> {
  const raw = db.raw(sql, bindings);
  if (isEmbedded(db)) return ((await raw) as { rows: T[] }).rows;
  const result = await raw.options({ name: statementName(sql) });
  return result.rows as T[];
}
