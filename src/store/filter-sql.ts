import type { Knex } from 'knex';
import type { CompareOperator, FilterNode, FilterValue, SortKey } from '../scim/filter.ts';
import type { ResolvedPath, ResourceTypeName } from '../scim/schema-types.ts';
import { checkAlias, targetOf, type ElementSet, type Scalar, type Target } from './filter-sources.ts';
import { isUuid } from '../model/ids.ts';
import { FALSE, join, raw, sql, TRUE, type SqlFragment } from './sql-fragment.ts';

export { SqlFragment } from './sql-fragment.ts';

// Compiles the filter AST of src/scim/filter.ts to one SQL condition (RFC 7644 §3.4.2.2), so
// filtering, counting and paging all happen in the database.
//
// Every compiled leaf is two-valued (true or false, never NULL): a missing attribute makes a
// comparison false, so `not` and `ne` match resources without the attribute, as the RFC asks.

const DEFAULT_ALIAS: Record<ResourceTypeName, string> = { User: 'users', Group: 'groups' };

/** Resolves the paths a filter names, at the resource level or inside a value path. */
interface Scope {
  target(path: ResolvedPath): Target;
}

/**
 * The filter as a SQL condition over the row aliased `tableAlias` (default `users` / `groups`).
 * The caller scopes the query to one organisation; every subquery here is correlated on
 * `org_id` as well, so nothing of another tenant can make a row match.
 */
export function filterCondition(type: ResourceTypeName, node: FilterNode, tableAlias = DEFAULT_ALIAS[type]): SqlFragment {
  const alias = checkAlias(tableAlias);
  return compile(node, { target: (path) => targetOf(type, alias, path) });
}

/** Adds the filter to a query as `where (…)`. */
export function applyFilter<Q extends Knex.QueryBuilder>(query: Q, type: ResourceTypeName, node: FilterNode, tableAlias?: string): Q {
  const condition = filterCondition(type, node, tableAlias);
  return query.whereRaw(`(${condition.sql})`, condition.bindings) as Q;
}

function compile(node: FilterNode, scope: Scope): SqlFragment {
  switch (node.kind) {
    case 'and':
    case 'or':
      return sql`(${join(node.filters.map((f) => compile(f, scope)), ` ${node.kind} `)})`;
    case 'not':
      return sql`(not ${compile(node.filter, scope)})`;
    case 'present':
      return present(scope.target(node.path));
    case 'compare':
      // Our choice where the RFC is open: `ne` is the negation of `eq`, also for multi-valued
      // attributes ("no value equals"), and so it matches resources without the attribute.
      if (node.op === 'ne') return sql`(not ${compare(scope.target(node.path), 'eq', node.value)})`;
      return compare(scope.target(node.path), node.op, node.value);
    case 'valuePath':
      return valuePath(scope.target(node.path), node.filter);
  }
}

// RFC 7644 §3.4.2.2 valuePath: one value of the attribute must satisfy the whole inner filter.
function valuePath(target: Target, inner: FilterNode): SqlFragment {
  if (target.kind === 'many') {
    const set = target.set;
    return exists(set, compile(inner, { target: (path) => ({ kind: 'scalar', scalar: set.value(path.subAttribute) }) }));
  }
  if (target.kind === 'object') {
    return sql`(${target.present} and ${compile(inner, { target: (path) => ({ kind: 'scalar', scalar: target.field(path.subAttribute!) }) })})`;
  }
  throw new Error('a value path needs a complex attribute');
}

function exists(set: ElementSet, condition: SqlFragment): SqlFragment {
  return sql`exists (select 1 from ${set.from} where ${set.where} and ${condition})`;
}

// RFC 7644 §3.4.2.2 pr: a non-empty value; for a complex attribute a non-empty object; for a
// multi-valued attribute at least one element.
function present(target: Target): SqlFragment {
  switch (target.kind) {
    case 'scalar':
      return presentScalar(target.scalar);
    case 'object':
      return target.present;
    case 'many':
      return exists(target.set, target.sub ? presentScalar(target.set.value(target.sub)) : TRUE);
  }
}

function presentScalar(s: Scalar): SqlFragment {
  if (s.form === 'text') return twoValued(s, sql`${s.expr} <> ''`);
  return s.nullable ? sql`(${s.expr} is not null)` : TRUE;
}

// RFC 7644 §3.4.2.2: a multi-valued attribute matches when any of its values matches.
function compare(target: Target, op: CompareOperator, value: FilterValue): SqlFragment {
  if (target.kind === 'scalar') return compareScalar(target.scalar, op, value);
  if (target.kind === 'many') return exists(target.set, compareScalar(target.set.value(target.sub), op, value));
  throw new Error('a comparison needs a sub-attribute of a complex attribute');
}

function compareScalar(s: Scalar, op: CompareOperator, value: FilterValue): SqlFragment {
  return twoValued(s, comparison(s, op, value));
}

function twoValued(s: Scalar, condition: SqlFragment): SqlFragment {
  if (condition === FALSE || !s.nullable) return condition;
  // A plain nullable column keeps the form its partial index serves (external_id = ?); an
  // expression (JSON path, subquery) is evaluated once, with NULL read as false.
  if (COLUMN.test(s.expr.sql)) return sql`(${s.expr} is not null and ${condition})`;
  return sql`coalesce(${condition}, false)`;
}

const COLUMN = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/i;

const SQL_OPERATOR: Record<CompareOperator, string> = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=', co: 'like', sw: 'like', ew: 'like' };

function comparison(s: Scalar, op: CompareOperator, value: FilterValue): SqlFragment {
  const operator = raw(SQL_OPERATOR[op]);
  switch (s.form) {
    case 'text':
      return textComparison(s, op, String(value));
    case 'uuid':
      // A value that is no UUID matches nothing rather than failing the cast in the database.
      if (op === 'eq') return isUuid(String(value)) ? sql`${s.expr} = ${String(value)}::uuid` : FALSE;
      return textComparison({ ...s, expr: sql`${s.expr}::text`, caseExact: false }, op, String(value));
    case 'boolean':
      return sql`${s.expr} = ${value}`;
    case 'number':
      return sql`${s.expr} ${operator} ${value}::numeric`;
    case 'time':
      return sql`${s.expr} ${operator} ${value}::timestamptz`;
  }
}

/**
 * RFC 7644 §3.4.2.2: string comparisons honour caseExact; caseExact false compares lower() of both
 * sides, which is also the form the (org_id, lower(user_name)) and (org_id, lower(display_name))
 * indexes serve. gt/ge/lt/le compare code points (collation "C"), so the result is the same on
 * every server whatever its locale. co/sw/ew use LIKE with %, _ and \ in the value escaped.
 */
function textComparison(s: Scalar, op: CompareOperator, value: string): SqlFragment {
  const left = s.caseExact ? s.expr : sql`lower(${s.expr})`;
  const right = (v: string) => (s.caseExact ? sql`${v}::text` : sql`lower(${v}::text)`);
  switch (op) {
    case 'eq':
      return sql`${left} = ${right(value)}`;
    case 'co':
      return sql`${left} like ${right(`%${escapeLike(value)}%`)} escape '\\'`;
    case 'sw':
      return sql`${left} like ${right(`${escapeLike(value)}%`)} escape '\\'`;
    case 'ew':
      return sql`${left} like ${right(`%${escapeLike(value)}`)} escape '\\'`;
    default:
      return sql`${left} collate "C" ${raw(SQL_OPERATOR[op])} ${right(value)}`;
  }
}

export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * An ORDER BY expression for sortBy (RFC 7644 §3.4.2.3) over the row aliased `tableAlias`:
 * lower() for caseExact false strings; for a multi-valued attribute the primary value, else the
 * first (derived sets such as groups or members: the smallest). The same expression serves keyset
 * comparisons of cursor paging. It may be NULL (no value): PostgreSQL's default puts NULLs last
 * ascending and first descending, which is what the RFC asks.
 */
export function sortExpression(type: ResourceTypeName, key: SortKey, tableAlias = DEFAULT_ALIAS[type]): SqlFragment {
  const target = targetOf(type, checkAlias(tableAlias), key.path);
  if (target.kind === 'scalar') return sortValue(target.scalar);
  if (target.kind === 'many') {
    const value = sortValue(target.set.value(target.sub));
    return sql`(select ${value} from ${target.set.from} where ${target.set.where} order by ${target.set.order ?? value} limit 1)`;
  }
  throw new Error('sortBy needs a sub-attribute of a complex attribute');
}

function sortValue(s: Scalar): SqlFragment {
  return s.form === 'text' && !s.caseExact ? sql`lower(${s.expr})` : s.expr;
}
