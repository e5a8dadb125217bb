import type { Knex } from 'knex';
import { parseFilter, parseSortBy, type FilterNode } from '../scim/filter.ts';
import type { ListParams } from '../scim/list-params.ts';
import { decodeCursor, encodeCursor, queryFingerprint } from '../scim/cursor.ts';
import type { ResourceTypeName } from '../scim/schema-types.ts';
import { applyFilter, filterCondition, sortExpression } from '../store/filter-sql.ts';
import { runList, type Paging, type SortKey } from '../store/list-query.ts';
import { MEMBERSHIPS_SQL, type UserMembership, type UserRow } from '../store/users-store.ts';
import type { GroupRow } from '../store/groups-store.ts';
import { storesFor, type TenantRequest } from './tenant-request.ts';

export interface Listing<Row> {
  rows: Row[];
  total: number;
  startIndex: number;
  nextCursor?: string;
}

const USER_COLUMNS = ['users.org_id', 'users.id', 'users.user_name', 'users.external_id', 'users.active', 'users.data', 'users.credential_status', 'users.version', 'users.created_at', 'users.modified_at'];

/** Attributes whose equality selects at most one resource: userName (server-wide), id, externalId (per organisation). */
const UNIQUE = new Set(['userName', 'id', 'externalId']);

function selectsOne(filter: FilterNode | undefined): boolean {
  return filter?.kind === 'compare' && filter.op === 'eq' && !filter.path.inExtension && !filter.path.subAttribute && UNIQUE.has(filter.path.attribute.name);
}

// Without sortBy, listings follow creation order: stable, and served by the (org_id, created_at, id) index.
const DEFAULT_SORT: Record<ResourceTypeName, SortKey> = {
  User: { sql: 'users.created_at', bindings: [], nullable: false },
  Group: { sql: 'groups.created_at', bindings: [], nullable: false },
};

/**
 * A filtered, sorted, paged listing of one organisation's Users or Groups, run in the database
 * (RFC 7644 §3.4.2, RFC 9865). The filter and sortBy are parsed against the registry before any
 * SQL is built.
 */
async function attachMemberships(req: TenantRequest, rows: (UserRow & { memberships?: UserMembership[] })[]): Promise<void> {
  const byUser = new Map<string, UserMembership[]>(rows.map((r) => [r.id, []]));
  for (const m of await storesFor(req).groups.membershipsOf([...byUser.keys()])) byUser.get(m.user_id)!.push(m);
  for (const row of rows) row.memberships = byUser.get(row.id);
}

export async function listResources(req: TenantRequest, type: ResourceTypeName, params: ListParams, cursorTimeoutSeconds: number): Promise<Listing<UserRow | GroupRow>> {
  const filter = params.filter !== undefined ? parseFilter(type, params.filter) : undefined;
  let sort = DEFAULT_SORT[type];
  if (params.sortBy !== undefined) {
    const expression = sortExpression(type, parseSortBy(type, params.sortBy));
    sort = { sql: expression.sql, bindings: expression.bindings as Knex.RawBinding[], nullable: true };
  }
  const stores = storesFor(req);
  const single = selectsOne(filter) && params.sortBy === undefined;
  if (single && type === 'User' && params.cursor === undefined && params.startIndex === 1 && params.count > 0) {
    const rows = await stores.users.findOneWhere(filterCondition('User', filter!));
    return { rows, total: rows.length, startIndex: 1 };
  }
  const scoped = type === 'User'
    ? () => (filter ? applyFilter(stores.users.query(), 'User', filter) : stores.users.query())
    : () => (filter ? applyFilter(stores.groups.query(), 'Group', filter) : stores.groups.query());
  // With the memberships in the same statement a single-user lookup is one round trip; for a page
  // they are read afterwards for the page's rows only, never for rows an OFFSET skips.
  const columns = type === 'User' ? (single ? [...USER_COLUMNS, req.db.raw(MEMBERSHIPS_SQL)] : USER_COLUMNS) : stores.groups.columns;
  const idColumn = type === 'User' ? 'users.id' : 'groups.id';

  const fingerprint = queryFingerprint([type, params.filter ?? null, params.sortBy ?? null, params.sortOrder]);
  const paging: Paging = params.cursor !== undefined
    ? { kind: 'cursor', count: params.count, after: params.cursor === '' ? undefined : decodeCursor(params.cursor, fingerprint, req.now, cursorTimeoutSeconds) }
    : { kind: 'index', startIndex: params.startIndex, count: params.count };

  const countAll = type === 'User' && !filter ? () => stores.users.countAll() : undefined;
  const page = await runList<UserRow | GroupRow>(req.db, scoped, idColumn, columns, sort, params.sortOrder, paging, single, countAll);
  if (type === 'User' && !single) await attachMemberships(req, page.rows as (UserRow & { memberships?: UserMembership[] })[]);
  const listing: Listing<UserRow | GroupRow> = { rows: page.rows, total: page.total, startIndex: paging.kind === 'index' ? paging.startIndex : 1 };
  if (paging.kind === 'cursor' && page.more) {
    const last = page.rows[page.rows.length - 1];
    listing.nextCursor = encodeCursor({ value: last.__sort as Knex.RawBinding, id: last.id }, fingerprint, req.now);
  }
  return listing;
}
