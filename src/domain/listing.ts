import { parseFilter, parseSortBy, type FilterNode } from '../scim/filter.ts';
import type { ListParams } from '../scim/list-params.ts';
import { decodeCursor, encodeCursor, queryFingerprint } from '../scim/cursor.ts';
import type { ResourceTypeName } from '../scim/schema-types.ts';
import type { ListedItem, ListedUser, Paging } from '../store/resource-listing.ts';

export type { ListedItem, ListedUser } from '../store/resource-listing.ts';
import { storesFor, type TenantRequest } from './tenant-request.ts';

export interface Listing<Row> {
  rows: Row[];
  total: number;
  startIndex: number;
  nextCursor?: string;
}

/** Attributes whose equality selects at most one resource: userName (server-wide), id, externalId (per organisation). */
const UNIQUE = new Set(['userName', 'id', 'externalId']);

function selectsOne(filter: FilterNode | undefined): boolean {
  return filter?.kind === 'compare' && filter.op === 'eq' && !filter.path.inExtension && !filter.path.subAttribute && UNIQUE.has(filter.path.attribute.name);
}

async function attachMemberships(req: TenantRequest, rows: ListedUser[]): Promise<void> {
  const byUser = new Map<string, NonNullable<ListedUser['memberships']>>(rows.map((r) => [r.id, []]));
  for (const m of await storesFor(req).groups.membershipsOf([...byUser.keys()])) byUser.get(m.userId)!.push(m);
  for (const row of rows) row.memberships = byUser.get(row.id);
}

/**
 * A filtered, sorted, paged listing of one organisation's Users or Groups, run in the database
 * (RFC 7644 §3.4.2, RFC 9865). The filter and sortBy are parsed against the registry before any
 * SQL is built.
 */
export async function listResources(req: TenantRequest, type: ResourceTypeName, params: ListParams, cursorTimeoutSeconds: number): Promise<Listing<ListedItem>> {
  const filter = params.filter !== undefined ? parseFilter(type, params.filter) : undefined;
  const sortBy = params.sortBy !== undefined ? parseSortBy(type, params.sortBy) : undefined;
  const { listing } = storesFor(req);
  const single = selectsOne(filter) && params.sortBy === undefined;
  if (single && type === 'User' && params.cursor === undefined && params.startIndex === 1 && params.count > 0) {
    const rows = await listing.findUser(filter!);
    return { rows, total: rows.length, startIndex: 1 };
  }

  const fingerprint = queryFingerprint([type, params.filter ?? null, params.sortBy ?? null, params.sortOrder]);
  const paging: Paging = params.cursor !== undefined
    ? { kind: 'cursor', count: params.count, after: params.cursor === '' ? undefined : decodeCursor(params.cursor, fingerprint, req.now, cursorTimeoutSeconds) }
    : { kind: 'index', startIndex: params.startIndex, count: params.count };

  const page = await listing.page(type, { filter, sortBy, sortOrder: params.sortOrder, paging, single });
  if (type === 'User' && !single) await attachMemberships(req, page.items as ListedUser[]);
  const result: Listing<ListedItem> = { rows: page.items, total: page.total, startIndex: paging.kind === 'index' ? paging.startIndex : 1 };
  if (paging.kind === 'cursor' && page.more) {
    const last = page.items[page.items.length - 1];
    result.nextCursor = encodeCursor({ value: page.lastSort, id: last.id }, fingerprint, req.now);
  }
  return result;
}
