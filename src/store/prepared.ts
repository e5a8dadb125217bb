import crypto from 'node:crypto';
import type { Knex } from 'knex';

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
 * the SQL text, and each one is kept by every connection).
 */
export async function preparedRows<T>(db: Knex, query: Knex.QueryBuilder): Promise<T[]> {
  const { sql, bindings } = query.toSQL();
  const result = await db.raw(sql, bindings as Knex.RawBinding[]).options({ name: statementName(sql) });
  return result.rows as T[];
}

interface NativeStatement {
  name: string;
  /** The text with PostgreSQL's $n placeholders. */
  text: string;
}

const natives = new Map<string, NativeStatement>();

function nativeOf(db: Knex, sql: string): NativeStatement {
  let native = natives.get(sql);
  if (!native) {
    native = { name: statementName(sql), text: (db.client as { positionBindings(sql: string): string }).positionBindings(sql) };
    if (natives.size < 1000) natives.set(sql, native);
  }
  return native;
}

interface PoolClient {
  acquireConnection(): Promise<{ query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }> }>;
  releaseConnection(connection: unknown): unknown;
  emit(event: string, data: unknown): void;
}

/**
 * A fixed SQL text with `?` bindings as a named statement (see preparedRows). Outside a
 * transaction it goes to a pooled connection directly: on a one-row lookup knex's per-query
 * machinery (binding, compiling, the runner) costs a good part of what the whole request does.
 */
export async function preparedRaw<T>(db: Knex, sql: string, bindings: Knex.RawBinding[]): Promise<T[]> {
  const { name, text } = nativeOf(db, sql);
  if (db.isTransaction) return ((await db.raw(sql, bindings).options({ name })) as { rows: T[] }).rows;
  const client = db.client as PoolClient;
  const connection = await client.acquireConnection();
  try {
    // As knex would, for whoever listens (the benchmark's EXPLAIN, tests counting statements).
    client.emit('query', { sql: text, bindings });
    return (await connection.query({ name, text, values: bindings })).rows as T[];
  } finally {
    client.releaseConnection(connection);
  }
}
