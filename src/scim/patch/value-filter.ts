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
  return valueFilterMatcher(filter, attribute)(element);
}

type Matcher = (element: unknown) => boolean;
const matchers = new WeakMap<Filter, Matcher>();

/**
 * The filter as a function over elements, built once per filter. One PATCH may run 1,000 filters
 * of 50 comparisons over 100 values each (SPEC §5.4), five million comparisons, so each is a
 * closure over a value prepared at build time (folded to lower case, a date parsed), and each
 * element's sub-attributes are prepared once per element rather than once per comparison.
 */
export function valueFilterMatcher(filter: Filter, attribute: AttributeDef): Matcher {
  let matcher = matchers.get(filter);
  if (!matcher) {
    matcher = buildMatcher(filter, attribute);
    matchers.set(filter, matcher);
  }
  return matcher;
}

/** A sub-attribute's value made ready to compare; undefined when unassigned. */
type Prepared = string | number | boolean | undefined;
type Test = (values: Prepared[]) => boolean;

function buildMatcher(filter: Filter, attribute: AttributeDef): Matcher {
  const slots: AttributeDef[] = [];
  const slotOf = (name: string) => {
    const sub = subAttributeOf(attribute, name);
    const index = slots.indexOf(sub);
    return index === -1 ? slots.push(sub) - 1 : index;
  };
  const test = buildTest(filter, slotOf, (i) => slots[i]);
  const values: Prepared[] = [];
  return (element) => {
    const record = typeof element === 'object' && element !== null ? (element as Record<string, unknown>) : {};
    for (let i = 0; i < slots.length; i++) values[i] = prepare(slots[i], record[slots[i].name]);
    return test(values);
  };
}

function buildTest(filter: Filter, slotOf: (name: string) => number, sub: (slot: number) => AttributeDef): Test {
  switch (filter.op) {
    case 'and': {
      const parts = filter.filters.map((f) => buildTest(f, slotOf, sub));
      return (values) => parts.every((part) => part(values));
    }
    case 'or': {
      const parts = filter.filters.map((f) => buildTest(f, slotOf, sub));
      return (values) => parts.some((part) => part(values));
    }
    case 'not': {
      const part = buildTest(filter.filter, slotOf, sub);
      return (values) => !part(values);
    }
    case 'pr': {
      const slot = slotOf(filter.attrPath);
      return (values) => values[slot] !== undefined;
    }
    case '[]':
      return () => false;
    default: {
      const slot = slotOf(filter.attrPath);
      return comparison(filter.op, slot, sub(slot), filter.compValue);
    }
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

function comparison(op: CompareOp, slot: number, sub: AttributeDef, compValue: Compare['compValue']): Test {
  // `eq null` matches an unassigned value, `ne null` an assigned one (RFC 7643 §2.5); an
  // unassigned value is `ne` any value and matches no other comparison.
  if (compValue === null) {
    if (op === 'eq') return (values) => values[slot] === undefined;
    if (op === 'ne') return (values) => values[slot] !== undefined;
    return () => false;
  }
  const expected = prepare(sub, compValue);
  const test = compareTest(op, sub, expected);
  if (op === 'ne') return (values) => values[slot] === undefined || test(values[slot]);
  return (values) => values[slot] !== undefined && test(values[slot]);
}

function compareTest(op: CompareOp, sub: AttributeDef, expected: Prepared): (actual: Prepared) => boolean {
  if (sub.type === 'boolean') return op === 'eq' ? (a) => a === expected : op === 'ne' ? (a) => a !== expected : () => false;
  if (sub.type === 'dateTime' || sub.type === 'integer' || sub.type === 'decimal') {
    const e = expected as number;
    return orderedTest(op, e, (a) => a as number);
  }
  const e = expected as string;
  if (op === 'co') return (a) => (a as string).includes(e);
  if (op === 'sw') return (a) => (a as string).startsWith(e);
  if (op === 'ew') return (a) => (a as string).endsWith(e);
  return orderedTest(op, e, (a) => a as string);
}

// A number that is not one (an unreadable date) matches nothing, not even `ne`.
function orderedTest<T extends number | string>(op: CompareOp, e: T, read: (a: Prepared) => T): (actual: Prepared) => boolean {
  const valid = (a: T) => !(typeof a === 'number' && Number.isNaN(a));
  switch (op) {
    case 'eq':
      return (a) => read(a) === e;
    case 'ne':
      return (a) => valid(read(a)) && read(a) !== e;
    case 'gt':
      return (a) => read(a) > e;
    case 'ge':
      return (a) => read(a) >= e;
    case 'lt':
      return (a) => read(a) < e;
    case 'le':
      return (a) => read(a) <= e;
    default:
      return () => false;
  }
}
