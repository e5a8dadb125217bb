import type { Knex } from 'knex';
import { preparedRows } from './prepared.ts';

import type { SortOrder } from '../scim/list-params.ts';
import type { KeysetPosition } from '../scim/cursor.ts';

/** An ORDER BY expression as SQL text with its bindings; `nullable` when rows may lack a value. */
export interface SortColumn {
  sql: string;
  bindings: Knex.RawBinding[];
  nullable: boolean;
}

export type Paging =
  | { kind: 'index'; startIndex: number; count: number }
  | { kind: 'cursor'; after: KeysetPosition | undefined; count: number };

export interface ListPage<Row> {
  rows: (Row & { __sort: unknown })[];
  total: number;
  /** True when another cursor page follows this one. */
  more: boolean;
}

/**
 * Runs a filtered, sorted, paged listing in the database: one COUNT for totalResults and one
 * page query. Index paging is OFFSET/LIMIT (RFC 7644 §3.4.2.4); cursor paging is a keyset on
 * (sort value, id) (RFC 9865), so a page deep into a large organisation costs what the first does.
 * Rows without a sort value come last in either order; the id breaks ties.
 */
export async function runList<Row>(
  db: Knex,
  scoped: () => Knex.QueryBuilder,
  idColumn: string,
  columns: (string | Knex.Raw)[],
  sort: SortColumn,
  order: SortOrder,
  paging: Paging,
  /** The filter selects at most one row (an equality on a unique attribute): no ORDER BY to plan. */
  single = false,
  /** totalResults without counting rows, when the listing is unfiltered and a kept count exists. */
  countAll?: () => Promise<number>,
): Promise<ListPage<Row>> {
  const count = async () => {
    if (countAll) return countAll();
    const row = await scoped().clearSelect().clearOrder().count({ n: '*' }).first();
    return Number((row as { n: string | number } | undefined)?.n ?? 0);
  };
  if (paging.count === 0) return { rows: [], total: await count(), more: false };

  const direction = order === 'descending' ? 'desc' : 'asc';
  // The sort value goes to the client inside cursors, so it is read as text at full precision
  // (timestamps keep their microseconds); PostgreSQL casts it back when comparing.
  const page = scoped().select(columns).select(db.raw(`to_json(${sort.sql}) #>> '{}' as __sort`, sort.bindings));
  if (!(single && paging.kind === 'index')) page.orderByRaw(`${sort.sql} ${direction} nulls last, ${idColumn} asc`, sort.bindings);

  if (paging.kind === 'index') {
    page.offset(paging.startIndex - 1).limit(paging.count);
    // A single-row lookup (userName eq, externalId eq, id eq) has a fixed shape: prepare it.
    const rows = (single ? await preparedRows(db, page) : await page) as (Row & { __sort: unknown })[];
    // A short page that is not past the end tells the total without counting: the common
    // `filter=userName eq "…"` lookup then costs one query.
    const known = rows.length < paging.count && (rows.length > 0 || paging.startIndex === 1);
    const total = known ? paging.startIndex - 1 + rows.length : await count();
    return { rows, total, more: paging.startIndex - 1 + rows.length < total };
  }

  if (paging.after) applyKeyset(page, sort, direction, idColumn, paging.after);
  const rows = (await page.limit(paging.count + 1)) as (Row & { __sort: unknown })[];
  const more = rows.length > paging.count;
  const total = !paging.after && !more ? rows.length : await count();
  return { rows: more ? rows.slice(0, paging.count) : rows, total, more };
}

function applyKeyset(query: Knex.QueryBuilder, sort: SortColumn, direction: 'asc' | 'desc', idColumn: string, after: KeysetPosition): void {
  if (after.value === null || after.value === undefined) {
    // The previous page ended among the rows without a value: only those, by id, remain.
    query.whereRaw(`${sort.sql} is null and ${idColumn} > ?`, [...sort.bindings, after.id]);
    return;
  }
  const beyond = direction === 'asc' ? '>' : '<';
  if (!sort.nullable && direction === 'asc') {
    // A row comparison lets PostgreSQL walk the (org_id, key, id) index straight to the position.
    query.whereRaw(`(${sort.sql}, ${idColumn}) > (?, ?)`, [...sort.bindings, after.value, after.id]);
    return;
  }
  query.where((q) => {
    q.whereRaw(`${sort.sql} ${beyond} ?`, [...sort.bindings, after.value])
      .orWhereRaw(`${sort.sql} = ? and ${idColumn} > ?`, [...sort.bindings, after.value, after.id]);
    if (sort.nullable) q.orWhereRaw(`${sort.sql} is null`, sort.bindings);
  });
}
