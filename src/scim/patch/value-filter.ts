// Value filters in PATCH paths (`emails[type eq "work"]`, RFC 7644 §3.5.2 valuePath), parsed by
// value-filter-syntax.ts and evaluated in memory over the elements of ONE multi-valued attribute of
// ONE resource. This is not collection filtering: lists are filtered in SQL (src/store).
import type { Compare, Filter } from 'scim2-parse-filter';
import { badRequest } from '../scim-error.ts';
import type { AttributeDef } from '../schema-types.ts';
import { coerceBooleanString } from '../quirks/index.ts';
import { MAX_FILTER_COMPARISONS, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from '../filter.ts';
import { parseValueFilter } from './value-filter-syntax.ts';

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
  // The filter complexity bound of SPEC §5.4 holds for path filters too.
  if (text.length > MAX_FILTER_LENGTH) throw invalidFilter(`The filter in a path is longer than ${MAX_FILTER_LENGTH} characters`);
  return canonicalFilter(attribute, parseValueFilter(text), { comparisons: 0 }, 1);
}

/** How many comparisons (`pr` included) a filter holds. */
export function comparisonsIn(filter: Filter): number {
  switch (filter.op) {
    case 'and':
    case 'or':
      return filter.filters.reduce((n, f) => n + comparisonsIn(f), 0);
    case 'not':
      return comparisonsIn(filter.filter);
    case '[]':
      return comparisonsIn(filter.valFilter);
    default:
      return 1;
  }
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
  const canonical = attribute.subAttributes?.find((s) => s.name === name);
  if (canonical) return canonical;
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
  return matchingValues(filter, attribute, [element]).length === 1;
}

/**
 * The values of a multi-valued attribute that a compiled filter selects, in order. One PATCH may
 * run 1,000 path filters over 100 values each (SPEC §5.4), so a filter is built once into closures
 * over comparison values prepared up front (folded to lower case, a date parsed), and the values'
 * sub-attributes are prepared once per array and sub-attribute, and reused by the next filter
 * over the same array for as long as they are unchanged.
 */
export function matchingValues<T>(filter: Filter, attribute: AttributeDef, values: T[]): T[] {
  const { slots, test } = compiled(filter, attribute);
  const columns = slots.map((sub) => column(values, sub));
  const row: Prepared[] = new Array(slots.length);
  const selected: T[] = [];
  for (let i = 0; i < values.length; i++) {
    for (let s = 0; s < columns.length; s++) row[s] = columns[s][i];
    if (test(row)) selected.push(values[i]);
  }
  return selected;
}

/** A sub-attribute's value made ready to compare; undefined when unassigned. */
type Prepared = string | number | boolean | undefined;
/** A filter over one value's prepared sub-attributes, one slot per sub-attribute it names. */
type Test = (row: Prepared[]) => boolean;
interface Compiled {
  slots: AttributeDef[];
  test: Test;
}

const compiledFilters = new WeakMap<Filter, Compiled>();

function compiled(filter: Filter, attribute: AttributeDef): Compiled {
  let built = compiledFilters.get(filter);
  if (!built) {
    const slots: AttributeDef[] = [];
    const slotOf = (name: string): Slot => {
      const sub = subAttributeOf(attribute, name);
      const index = slots.indexOf(sub);
      return [index === -1 ? slots.push(sub) - 1 : index, sub];
    };
    built = { slots, test: buildTest(filter, slotOf) };
    compiledFilters.set(filter, built);
  }
  return built;
}

/** The prepared sub-attribute of each value of an array, kept with the raw values it was made from. */
const columns = new WeakMap<unknown[], Map<string, { raw: unknown[]; prepared: Prepared[] }>>();

function column(values: unknown[], sub: AttributeDef): Prepared[] {
  let bySub = columns.get(values);
  if (!bySub) columns.set(values, (bySub = new Map()));
  const kept = bySub.get(sub.name);
  if (kept && kept.raw.length === values.length && values.every((v, i) => subValue(v, sub) === kept.raw[i])) return kept.prepared;
  const raw = values.map((v) => subValue(v, sub));
  const prepared = raw.map((r) => prepare(sub, r));
  bySub.set(sub.name, { raw, prepared });
  return prepared;
}

function subValue(value: unknown, sub: AttributeDef): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[sub.name] : undefined;
}

/** Where a sub-attribute's prepared value sits in a row, and the sub-attribute. */
type Slot = [number, AttributeDef];

function buildTest(filter: Filter, slotOf: (name: string) => Slot): Test {
  switch (filter.op) {
    case 'and': {
      const parts = filter.filters.map((f) => buildTest(f, slotOf));
      return (row) => {
        for (const part of parts) if (!part(row)) return false;
        return true;
      };
    }
    case 'or': {
      const parts = filter.filters.map((f) => buildTest(f, slotOf));
      return (row) => {
        for (const part of parts) if (part(row)) return true;
        return false;
      };
    }
    case 'not': {
      const part = buildTest(filter.filter, slotOf);
      return (row) => !part(row);
    }
    case 'pr': {
      const [slot] = slotOf(filter.attrPath);
      return (row) => row[slot] !== undefined;
    }
    case '[]':
      return () => false;
    default:
      return comparison(filter, slotOf);
  }
}

// RFC 7643 §2.5: null is unassigned; `pr` is a non-empty value (RFC 7644 §3.4.2.2).
function prepare(sub: AttributeDef, actual: unknown): Prepared {
  if (actual === undefined || actual === null || actual === '' || (Array.isArray(actual) && actual.length === 0)) return undefined;
  switch (sub.type) {
    case 'boolean':
      return actual as boolean;
    case 'dateTime':
      return Date.parse(String(actual));
    case 'integer':
    case 'decimal':
      return typeof actual === 'number' ? actual : Number.NaN;
    default:
      // RFC 7643 §2.2 caseExact: case-insensitive string attributes compare without case.
      return sub.caseExact ? String(actual) : String(actual).toLowerCase();
  }
}

/**
 * One comparison over a row. `eq null` matches an unassigned value, `ne null` an assigned one
 * (RFC 7643 §2.5); an unassigned value is `ne` any value and matches no other comparison; a number
 * that is not one (an unreadable date) matches nothing, not even `ne`.
 */
function comparison(f: Compare, slotOf: (name: string) => Slot): Test {
  const [slot, sub] = slotOf(f.attrPath);
  const { op, compValue } = f;
  if (compValue === null) {
    if (op === 'eq') return (row) => row[slot] === undefined;
    if (op === 'ne') return (row) => row[slot] !== undefined;
    return () => false;
  }
  return compareTest(op, slot, prepare(sub, compValue));
}

function compareTest(op: CompareOp, slot: number, expected: Prepared): Test {
  switch (op) {
    case 'eq':
      return (row) => row[slot] !== undefined && row[slot] === expected;
    case 'ne':
      return (row) => row[slot] === undefined || (row[slot] !== expected && !Number.isNaN(row[slot]));
    case 'co':
      return (row) => typeof row[slot] === 'string' && (row[slot] as string).includes(expected as string);
    case 'sw':
      return (row) => typeof row[slot] === 'string' && (row[slot] as string).startsWith(expected as string);
    case 'ew':
      return (row) => typeof row[slot] === 'string' && (row[slot] as string).endsWith(expected as string);
    case 'gt':
      return (row) => row[slot] !== undefined && (row[slot] as number) > (expected as number);
    case 'ge':
      return (row) => row[slot] !== undefined && (row[slot] as number) >= (expected as number);
    case 'lt':
      return (row) => row[slot] !== undefined && (row[slot] as number) < (expected as number);
    case 'le':
      return (row) => row[slot] !== undefined && (row[slot] as number) <= (expected as number);
    default:
      return () => false;
  }
}
