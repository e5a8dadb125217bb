import type { Knex } from 'knex';
import type { FilterNode, SortKey } from '../scim/filter.ts';
import type { SortOrder } from '../scim/list-params.ts';
import type { ResourceTypeName } from '../scim/schema-types.ts';
import { applyFilter, filterCondition, sortExpression } from './filter-sql.ts';
import { runList, type Paging, type SortColumn } from './list-query.ts';
import { groupsStore, toGroup, type GroupRow } from './groups-store.ts';
import { MEMBERSHIPS_SQL, toUser, usersStore, type UserRow, type UserWithMemberships } from './users-store.ts';
import type { Group } from '../model/group.ts';
import type { Membership, User } from '../model/user.ts';

export type { Paging } from './list-query.ts';

const USER_COLUMNS = ['users.org_id', 'users.id', 'users.user_name', 'users.external_id', 'users.active', 'users.data', 'users.credential_status', 'users.version', 'users.created_at', 'users.modified_at'];

// Without sortBy, listings follow creation order: stable, and served by the (org_id, created_at, id) index.
const DEFAULT_SORT: Record<ResourceTypeName, SortColumn> = {
  User: { sql: 'users.created_at', bindings: [], nullable: false },
  Group: { sql: 'groups.created_at', bindings: [], nullable: false },
};

export interface ListQuery {
  filter?: FilterNode;
  sortBy?: SortKey;
  sortOrder: SortOrder;
  paging: Paging;
  /** The filter selects at most one resource (an equality on a unique attribute), without sortBy. */
  single: boolean;
}

/** A listed user; its memberships come with it only when the page was a single-user lookup. */
export type ListedUser = User & { memberships?: Membership[] };
export type ListedItem = ListedUser | Group;

export interface ListedPage {
  items: ListedItem[];
  total: number;
  /** True when another cursor page follows this one. */
  more: boolean;
  /** The last item's sort value at full precision, for the next cursor. */
  lastSort: string | null;
}

/**
 * Filtered, sorted, paged listings of one organisation's Users or Groups, run in the database
 * (RFC 7644 §3.4.2, RFC 9865): the filter AST and sort key, parsed against the registry by the
 * caller, become SQL here and nowhere else.
 */
export function resourceListing(db: Knex, orgId: string) {
  const users = usersStore(db, orgId);
  const groups = groupsStore(db, orgId);
  return {
    /**
     * The user an equality on a unique attribute selects (userName, id, externalId), with its
     * memberships: the commonest SCIM call (`filter=userName eq "…"`) as one prepared statement.
     */
    async findUser(filter: FilterNode): Promise<UserWithMemberships[]> {
      return users.findOneWhere(filterCondition('User', filter));
    },

    /** One page; a user page of `single` carries its memberships, any other page does not. */
    async page(type: ResourceTypeName, query: ListQuery): Promise<ListedPage> {
      const { filter, single } = query;
      let sort = DEFAULT_SORT[type];
      if (query.sortBy !== undefined) {
        const expression = sortExpression(type, query.sortBy);
        sort = { sql: expression.sql, bindings: expression.bindings as Knex.RawBinding[], nullable: true };
      }
      const scoped = type === 'User'
        ? () => (filter ? applyFilter(users.query(), 'User', filter) : users.query())
        : () => (filter ? applyFilter(groups.query(), 'Group', filter) : groups.query());
      // With the memberships in the same statement a single-user lookup is one round trip; for a
      // page they are read afterwards for the page's rows only, never for rows an OFFSET skips.
      const columns = type === 'User' ? (single ? [...USER_COLUMNS, db.raw(MEMBERSHIPS_SQL)] : USER_COLUMNS) : groups.columns;
      const idColumn = type === 'User' ? 'users.id' : 'groups.id';
      // An unfiltered User listing's totalResults is the kept count (user_counts), not a COUNT(*)
      // that grows with the organisation.
      const countAll = type === 'User' && !filter ? () => users.countAll() : undefined;
      const page = await runList<UserRow & { memberships?: Membership[] } | GroupRow>(db, scoped, idColumn, columns, sort, query.sortOrder, query.paging, single, countAll);
      const items = type === 'User'
        ? (page.rows as (UserRow & { memberships?: Membership[] })[]).map((r): ListedUser => (r.memberships ? { ...toUser(r), memberships: r.memberships } : toUser(r)))
        : (page.rows as GroupRow[]).map(toGroup);
      const last = page.rows[page.rows.length - 1];
      return { items, total: page.total, more: page.more, lastSort: last ? (last.__sort as string | null) : null };
    },
  };
}

export type ResourceListing = ReturnType<typeof resourceListing>;
