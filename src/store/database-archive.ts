import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import type { Knex } from 'knex';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { migrationNames, migrateUpTo } from './db.ts';

/**
 * The archive of `idm db export` / `idm db import` (format 1): UTF-8 text, gzip-compressed when
 * the file name ends in `.gz`.
 *
 *   {"format":"identity-manager-export","version":1,"migrations":[…],…}   the manifest, one line
 *   {"table":"organisations","columns":["id",…]}                           then for each table:
 *   …rows in PostgreSQL's COPY text format, one a line…
 *   \.                                                                     (as in COPY … FROM STDIN)
 *   {"end":true,"rows":{"organisations":3,…}}                              the row counts, last
 *
 * Tables come parents first (by their foreign keys), so they load in file order. COPY's text
 * format escapes a backslash in data as `\\`, so a line `\.` can only end a table's rows.
 */
export const ARCHIVE_FORMAT = 'identity-manager-export';
export const ARCHIVE_VERSION = 1;

export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  exportedAt: string;
  /** `show server_version` of the source. */
  postgres: string;
  /** The migrations applied to the source, in order: the schema the rows fit. */
  migrations: string[];
  /** What the caller added, e.g. the signing key; stored as given. */
  extras: Record<string, unknown>;
}

export interface ArchiveSummary {
  manifest: ArchiveManifest;
  /** Rows per table. */
  rows: Record<string, number>;
}

export class ArchiveError extends Error {}

/** The migration bookkeeping is the target's own: it is written by migrating, never copied. */
const BOOKKEEPING = new Set(['knex_migrations', 'knex_migrations_lock']);

interface TableColumns {
  table: string;
  columns: string[];
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function query<T = Record<string, unknown>>(conn: pg.Client, text: string, values?: unknown[]): Promise<T[]> {
  return (await conn.query(text, values)).rows as T[];
}

/** The tables of `public` with their columns, parents before the tables whose foreign keys name them. */
async function tablesInLoadOrder(conn: pg.Client): Promise<TableColumns[]> {
  const columns = await query<{ table_name: string; column_name: string }>(
    conn,
    `select c.table_name, c.column_name
       from information_schema.columns c
       join information_schema.tables t using (table_schema, table_name)
      where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
      order by c.table_name, c.ordinal_position`,
  );
  const references = await query<{ child: string; parent: string }>(
    conn,
    `select conrelid::regclass::text as child, confrelid::regclass::text as parent
       from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace`,
  );
  const byTable = new Map<string, string[]>();
  for (const c of columns) {
    if (BOOKKEEPING.has(c.table_name)) continue;
    byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), c.column_name]);
  }
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (ordered.includes(table) || visiting.has(table)) return;
    visiting.add(table);
    for (const r of references) if (r.child === table && r.parent !== table) visit(r.parent);
    ordered.push(table);
  };
  for (const table of [...byTable.keys()].sort()) visit(table);
  return ordered.filter((t) => byTable.has(t)).map((table) => ({ table, columns: byTable.get(table)! }));
}

/** Writes with backpressure; fails (rather than waits forever) when `out` is closed meanwhile. */
async function write(out: Writable, data: string | Buffer): Promise<void> {
  if (out.destroyed) throw new ArchiveError('the output closed before the end');
  if (out.write(data)) return;
  await new Promise<void>((resolve, reject) => {
    const drained = () => {
      out.off('close', closed);
      resolve();
    };
    const closed = () => {
      out.off('drain', drained);
      reject(new ArchiveError('the output closed before the end'));
    };
    out.once('drain', drained);
    out.once('close', closed);
  });
}

/** A connection of the pool of its own, for a transaction spanning COPY streams. */
async function withConnection<T>(db: Knex, work: (conn: pg.Client) => Promise<T>): Promise<T> {
  const conn = (await db.client.acquireConnection()) as pg.Client;
  try {
    return await work(conn);
  } finally {
    await db.client.releaseConnection(conn);
  }
}

/**
 * Writes every table of the database to `out` from one snapshot: a REPEATABLE READ, READ ONLY
 * transaction, so the archive is the database as it was at one moment while writes go on.
 * Each table is streamed by COPY with backpressure: memory stays flat however many rows.
 */
export async function writeArchive(db: Knex, out: Writable, extras: Record<string, unknown>): Promise<ArchiveSummary> {
  return withConnection(db, async (conn) => {
    await conn.query('begin isolation level repeatable read read only');
    try {
      const migrations = (await query<{ name: string }>(conn, 'select name from knex_migrations order by id')).map((r) => r.name);
      const [{ server_version: postgres }] = await query<{ server_version: string }>(conn, 'show server_version');
      const manifest: ArchiveManifest = { format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, exportedAt: new Date().toISOString(), postgres, migrations, extras };
      await write(out, `${JSON.stringify(manifest)}\n`);
      const rows: Record<string, number> = {};
      for (const { table, columns } of await tablesInLoadOrder(conn)) {
        await write(out, `${JSON.stringify({ table, columns })}\n`);
        const rowsOut = conn.query(copyTo(`copy ${ident(table)} (${columns.map(ident).join(', ')}) to stdout`));
        for await (const chunk of rowsOut) await write(out, chunk as Buffer);
        rows[table] = rowsOut.rowCount;
        await write(out, '\\.\n');
      }
      await write(out, `${JSON.stringify({ end: true, rows })}\n`);
      await conn.query('commit');
      return { manifest, rows };
    } catch (err) {
      await conn.query('rollback').catch(() => undefined);
      throw err;
    }
  });
}

const END_OF_ROWS = Buffer.from('\\.\n');

/** Reads an archive as it arrives: JSON lines, and between them the rows of a table. */
class ArchiveReader {
  private buffer: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(input: Readable) {
    this.chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async more(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.chunks.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, next.value]) : next.value;
    return true;
  }

  /** The next line as JSON. */
  async json<T>(what: string): Promise<T> {
    let newline: number;
    while ((newline = this.buffer.indexOf(10)) < 0) {
      if (!(await this.more())) throw new ArchiveError(`the archive ends early: ${what} is missing`);
    }
    const line = this.buffer.subarray(0, newline).toString('utf8');
    this.buffer = this.buffer.subarray(newline + 1);
    try {
      return JSON.parse(line) as T;
    } catch {
      throw new ArchiveError(`the archive is damaged: ${what} is not JSON`);
    }
  }

  /** Writes the rows up to the line `\.` to `dest` (with backpressure), and consumes that line. */
  async rows(dest: Writable, table: string): Promise<void> {
    for (;;) {
      // Whole lines only: the end marker is a whole line.
      let start = 0;
      let newline: number;
      while ((newline = this.buffer.indexOf(10, start)) >= 0) {
        const line = this.buffer.subarray(start, newline + 1);
        if (line.equals(END_OF_ROWS)) {
          if (start > 0) await write(dest, this.buffer.subarray(0, start));
          this.buffer = this.buffer.subarray(newline + 1);
          return;
        }
        start = newline + 1;
      }
      if (start > 0) {
        await write(dest, this.buffer.subarray(0, start));
        this.buffer = this.buffer.subarray(start);
      }
      if (!(await this.more())) throw new ArchiveError(`the archive ends early, in the rows of ${table}`);
    }
  }
}

export interface ImportOptions {
  /** Called with the manifest before the database is touched; throwing refuses the import. */
  check?: (manifest: ArchiveManifest) => void | Promise<void>;
}

/**
 * Loads an archive into an empty database: migrates it to the archive's migrations, loads every
 * table in one transaction (triggers off, so derived rows such as user_counts arrive as they
 * were, not counted twice; foreign keys still checked), moves the sequences past the rows, checks
 * each table's row count against the archive's own, then migrates to this code's latest. Either
 * everything is loaded, or the database is left empty as it was found.
 */
export async function readArchive(db: Knex, input: Readable, options: ImportOptions = {}): Promise<ArchiveSummary> {
  const reader = new ArchiveReader(input);
  const manifest = await reader.json<ArchiveManifest>('the manifest');
  if (manifest?.format !== ARCHIVE_FORMAT) throw new ArchiveError('this is not an archive of idm db export');
  if (manifest.version !== ARCHIVE_VERSION) throw new ArchiveError(`archive format ${manifest.version} is not known to this version (it reads format ${ARCHIVE_VERSION})`);
  const known = migrationNames();
  const unknown = manifest.migrations.filter((name, i) => known[i] !== name);
  if (unknown.length) throw new ArchiveError(`the archive comes from another version of Identity Manager: migration ${unknown[0]} is not this version's (update this one first)`);
  await options.check?.(manifest);

  const existing = (await db.raw(`select table_name from information_schema.tables where table_schema = 'public' order by 1`)).rows as { table_name: string }[];
  if (existing.length) throw new ArchiveError(`the database is not empty (it has the tables ${existing.map((r) => r.table_name).join(', ')}): import into a new, empty database`);
  try {
    await migrateUpTo(db, manifest.migrations);
    const rows = await load(db, reader);
    await migrateUpTo(db, migrationNames());
    return { manifest, rows };
  } catch (err) {
    // The database was empty before: leave it so, and a corrected import can run again.
    await unmigrate(db).catch(() => undefined);
    throw err;
  }
}

/** Every migration rolled back (each one's down), then the bookkeeping: an empty database again. */
async function unmigrate(db: Knex): Promise<void> {
  await db.migrate.rollback(undefined, true);
  await db.raw('drop table if exists knex_migrations, knex_migrations_lock');
}

/** The rows, in one transaction: see readArchive. */
async function load(db: Knex, reader: ArchiveReader): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  await withConnection(db, async (conn) => {
    await conn.query('begin');
    try {
      const tables = await tablesInLoadOrder(conn);
      for (const { table } of tables) await conn.query(`alter table ${ident(table)} disable trigger user`);
      // The catalog rows the migrations wrote give way to the archive's.
      if (tables.length) await conn.query(`truncate ${tables.map((t) => ident(t.table)).join(', ')}`);
      const known = new Set(tables.map((t) => t.table));
      for (;;) {
        const next = await reader.json<Partial<TableColumns> & { end?: boolean; rows?: Record<string, number> }>('a table or the end');
        if (next.end) {
          for (const [table, count] of Object.entries(next.rows ?? {})) {
            if (rows[table] !== count) throw new ArchiveError(`the archive is damaged: ${table} should have ${count} rows, ${rows[table] ?? 0} were read`);
          }
          break;
        }
        const { table, columns } = next;
        if (!table || !Array.isArray(columns) || !known.has(table)) throw new ArchiveError(`the archive is damaged or of another schema: unknown table ${String(table)}`);
        const rowsIn = conn.query(copyFrom(`copy ${ident(table)} (${columns.map(ident).join(', ')}) from stdin`));
        const loaded = finished(rowsIn);
        // A COPY that PostgreSQL refuses ends the stream early; its error is the one to report.
        loaded.catch(() => undefined);
        await Promise.race([reader.rows(rowsIn, table).then(() => rowsIn.end()), loaded]);
        await loaded;
        rows[table] = rowsIn.rowCount;
      }
      // Sequences continue after the highest id loaded (audit_events, outbox, …).
      const sequences = await query<{ table_name: string; column_name: string; sequence: string }>(
        conn,
        `select t.relname as table_name, a.attname as column_name, s.oid::regclass::text as sequence
           from pg_depend d
           join pg_class s on s.oid = d.objid and s.relkind = 'S'
           join pg_class t on t.oid = d.refobjid
           join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
          where t.relnamespace = 'public'::regnamespace and d.deptype in ('a', 'i')`,
      );
      for (const s of sequences.filter((s) => !BOOKKEEPING.has(s.table_name))) {
        await conn.query(`select setval($1, coalesce((select max(${ident(s.column_name)}) from ${ident(s.table_name)}), 0) + 1, false)`, [s.sequence]);
      }
      for (const { table } of tables) await conn.query(`alter table ${ident(table)} enable trigger user`);
      await conn.query('commit');
    } catch (err) {
      await conn.query('rollback').catch(() => undefined);
      throw err;
    }
  });
  return rows;
}
