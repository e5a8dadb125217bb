// Value filters in PATCH paths (`emails[type eq "work"]`, RFC 7644 §3.5.2 valuePath), parsed with
// scim2-parse-filter and evaluated in memory over the elements of ONE multi-valued attribute of ONE
// resource. This is not collection filtering: lists are filtered in SQL (src/store).
import { parse, type Compare, type Filter } from 'scim2-parse-filter';
import { badRequest } from '../scim-error.ts';
import type { AttributeDef } from '../schema-types.ts';
import { coerceBooleanString } from '../quirks/index.ts';
import { MAX_FILTER_COMPARISONS, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from '../filter.ts';

type CompareOp = Compare['op'];
const ORDERING: readonly CompareOp[] = ['gt', 'ge', 'lt', 'le'];
const SUBSTRING: readonly CompareOp[] = ['co', 'sw', 'ew'];
const TEXT_TYPES = ['string', 'reference', 'binary'];

// RFC 7644 §3.12 lists invalidFilter for "PATCH (Path Filter - Section 3.5.2)".
const invalidFilter = (detail: string) => badRequest(detail, 'invalidFilter');

/**
 * Parses the text between the brackets of a valuePath and checks it against the sub-attributes of
 * `attribute`: names become canonical, comparison values get the sub-attribute's type.
 */
export function compileValueFilter(attribute: AttributeDef, text: string): Filter {
  // The filter complexity bound of SPEC §5.1 holds for path filters too.
  if (text.length > MAX_FILTER_LENGTH) throw invalidFilter(`The filter in a path is longer than ${MAX_FILTER_LENGTH} characters`);
  let ast: Filter;
  try {
    ast = parse(text);
  } catch (e) {
    throw invalidFilter(`Invalid filter in path '${attribute.name}[${text}]': ${(e as Error).message}`);
  }
  return canonicalFilter(attribute, ast, { comparisons: 0 }, 1);
}

function canonicalFilter(attribute: AttributeDef, f: Filter, count: { comparisons: number }, depth: number): Filter {
  if (depth > MAX_FILTER_DEPTH) throw invalidFilter(`The filter in a path nests deeper than ${MAX_FILTER_DEPTH} levels`);
  switch (f.op) {
    case 'and':
    case 'or':
      return { op: f.op, filters: f.filters.map((c) => canonicalFilter(attribute, c, count, depth + 1)) };
    case 'not':
      return { op: 'not', filter: canonicalFilter(attribute, f.filter, count, depth + 1) };
    case '[]':
      throw invalidFilter(`A value filter on '${attribute.name}' cannot contain another value filter`);
  }
  if (++count.comparisons > MAX_FILTER_COMPARISONS) throw invalidFilter(`The filter in a path has more than ${MAX_FILTER_COMPARISONS} comparisons`);
  if (f.op === 'pr') return { op: 'pr', attrPath: subAttributeOf(attribute, f.attrPath).name };
  return canonicalCompare(attribute, f);
}

function subAttributeOf(attribute: AttributeDef, name: string): AttributeDef {
  // `emails[emails.type eq "work"]` is not in the ABNF, but the prefix is harmless; accept it.
  const prefix = `${attribute.name.toLowerCase()}.`;
  const bare = name.toLowerCase().startsWith(prefix) ? name.slice(prefix.length) : name;
  const sub = attribute.subAttributes?.find((s) => s.name.toLowerCase() === bare.toLowerCase());
  if (!sub) throw invalidFilter(`'${attribute.name}' has no sub-attribute '${name}' to filter on`);
  return sub;
}

/** RFC 7644 §3.4.2.2: operators and comparison values must fit the attribute's type. */
function canonicalCompare(attribute: AttributeDef, f: Compare): Compare {
  const sub = subAttributeOf(attribute, f.attrPath);
  const label = `${attribute.name}.${sub.name}`;
  const text = TEXT_TYPES.includes(sub.type) || sub.type === 'dateTime';
  if (ORDERING.includes(f.op) && (sub.type === 'boolean' || sub.type === 'binary')) {
    throw invalidFilter(`'${f.op}' cannot compare the ${sub.type} attribute '${label}'`);
  }
  if (SUBSTRING.includes(f.op) && !text) throw invalidFilter(`'${f.op}' needs a string attribute; '${label}' is ${sub.type}`);
  return { op: f.op, attrPath: sub.name, compValue: comparisonValue(sub, f.compValue, label) };
}

function comparisonValue(sub: AttributeDef, value: Compare['compValue'], label: string): Compare['compValue'] {
  if (value === null) return null;
  if (sub.type === 'boolean') {
    const b = typeof value === 'string' ? coerceBooleanString(value) : value; // Entra: primary eq "True"
    if (typeof b !== 'boolean') throw invalidFilter(`'${label}' is a boolean; compare it with true or false`);
    return b;
  }
  if (sub.type === 'integer' || sub.type === 'decimal') {
    if (typeof value !== 'number') throw invalidFilter(`'${label}' is a number; compare it with a number`);
    return value;
  }
  if (typeof value !== 'string') throw invalidFilter(`'${label}' is a ${sub.type}; compare it with a quoted string`);
  if (sub.type === 'dateTime' && Number.isNaN(Date.parse(value))) throw invalidFilter(`'${value}' is not a dateTime for '${label}'`);
  return value;
}

/** Whether one element of `attribute` matches a compiled filter. */
export function matchesValueFilter(filter: Filter, attribute: AttributeDef, element: unknown): boolean {
  const record = typeof element === 'object' && element !== null ? (element as Record<string, unknown>) : {};
  switch (filter.op) {
    case 'and':
      return filter.filters.every((f) => matchesValueFilter(f, attribute, element));
    case 'or':
      return filter.filters.some((f) => matchesValueFilter(f, attribute, element));
    case 'not':
      return !matchesValueFilter(filter.filter, attribute, element);
    case 'pr':
      return isPresent(record[filter.attrPath]);
    case '[]':
      return false;
    default:
      return compare(filter, subAttributeOf(attribute, filter.attrPath), record[filter.attrPath]);
  }
}

// RFC 7644 §3.4.2.2 "pr": a non-empty value.
function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  return !(Array.isArray(value) && value.length === 0);
}

function compare(f: Compare, sub: AttributeDef, actual: unknown): boolean {
  if (!isPresent(actual) || f.compValue === null) {
    // `eq null` matches an unassigned value, `ne null` an assigned one (RFC 7643 §2.5).
    const equal = !isPresent(actual) && f.compValue === null;
    return f.op === 'eq' ? equal : f.op === 'ne' ? !equal : false;
  }
  if (sub.type === 'boolean') return f.op === 'eq' ? actual === f.compValue : f.op === 'ne' ? actual !== f.compValue : false;
  if (sub.type === 'dateTime') return ordered(f.op, Date.parse(String(actual)), Date.parse(String(f.compValue)));
  if (sub.type === 'integer' || sub.type === 'decimal') return typeof actual === 'number' && ordered(f.op, actual, f.compValue as number);
  // RFC 7643 §2.2 caseExact: case-insensitive string attributes compare without case.
  const fold = (s: string) => (sub.caseExact ? s : s.toLowerCase());
  const a = fold(String(actual));
  const b = fold(String(f.compValue));
  if (f.op === 'co') return a.includes(b);
  if (f.op === 'sw') return a.startsWith(b);
  if (f.op === 'ew') return a.endsWith(b);
  return ordered(f.op, a, b);
}

function ordered<T extends number | string>(op: CompareOp, a: T, b: T): boolean {
  if (typeof a === 'number' && Number.isNaN(a)) return false;
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    default:
      return false;
  }
}
