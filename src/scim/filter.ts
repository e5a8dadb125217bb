import { parse as parseScimFilter, type Filter as LibraryFilter } from 'scim2-parse-filter';
import { coerceBooleanString } from './quirks/booleans.ts';
import { schemaRegistry } from './schema-registry.ts';
import { leafOf, pathKey, type AttributeDef, type ResolvedPath, type ResourceTypeName } from './schema-types.ts';
import { badRequest, type ScimError } from './scim-error.ts';

// The filter complexity bound (SPEC §5.1): a longer, larger or deeper filter is 400 invalidFilter.
export const MAX_FILTER_LENGTH = 4096;
/** Comparisons (`eq`…`le` and `pr`), value-path filters included. */
export const MAX_FILTER_COMPARISONS = 50;
/** Height of the expression tree, and nesting of `(`…`)` and `[`…`]`; a single comparison is 1. */
export const MAX_FILTER_DEPTH = 10;

export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
/** A literal after type checking: strings for string, reference, binary and (validated) dateTime attributes. */
export type FilterValue = string | number | boolean;

/**
 * Our filter AST. Every path is resolved through the schema registry (canonical names, extension
 * URN known) and every value checked against the attribute's type, so the SQL compiler never sees
 * an unknown attribute or an ill-typed literal. `eq null` / `ne null` are rewritten to `not pr` / `pr`.
 *
 * Inside a `valuePath` the inner filter's paths name the multi-valued (or complex) attribute with a
 * sub-attribute: `emails[type eq "work"]` has inner path { attribute: emails, subAttribute: type }.
 */
export type FilterNode =
  | { kind: 'compare'; op: CompareOperator; path: ResolvedPath; value: FilterValue }
  | { kind: 'present'; path: ResolvedPath }
  | { kind: 'and' | 'or'; filters: FilterNode[] }
  | { kind: 'not'; filter: FilterNode }
  | { kind: 'valuePath'; path: ResolvedPath; filter: FilterNode };

const invalidFilter = (detail: string): ScimError => badRequest(detail, 'invalidFilter');

const ORDERING = new Set<CompareOperator>(['gt', 'ge', 'lt', 'le']);
const SUBSTRING = new Set<CompareOperator>(['co', 'sw', 'ew']);

/**
 * Attributes the schemas define but this server does not filter on: `$ref` and `meta.location` are
 * built from the request's base URL, `meta.version` from a row counter, `members.display` from the
 * member at read time. Attributes with `returned: never` (password) are refused as well.
 */
const NOT_FILTERABLE: Record<ResourceTypeName, Set<string>> = {
  User: new Set(['meta.location', 'meta.version', 'groups.$ref']),
  Group: new Set(['meta.location', 'meta.version', 'members.$ref', 'members.display']),
};

/**
 * Parses a SCIM filter (RFC 7644 §3.4.2.2) for Users or Groups into a typed, registry-checked AST.
 * Throws 400 invalidFilter for bad syntax, unknown or unfilterable attributes, operators the
 * attribute's type does not support, ill-typed values, and filters beyond the complexity bound.
 */
export function parseFilter(type: ResourceTypeName, text: string): FilterNode {
  if (text.length > MAX_FILTER_LENGTH) throw invalidFilter(`the filter is longer than ${MAX_FILTER_LENGTH} characters`);
  if (text.trim() === '') throw invalidFilter('the filter is empty');
  const literals = protectStringLiterals(text);
  let parsed: LibraryFilter;
  try {
    parsed = parseScimFilter(literals.text);
  } catch (error) {
    const message = error instanceof RangeError ? 'nested too deeply' : literals.restore((error as Error).message);
    throw invalidFilter(`the filter is not valid (RFC 7644 §3.4.2.2): ${message}`);
  }
  const converter = new Converter(type, literals.strings);
  return converter.node(parsed, 1);
}

/**
 * Replaces every string literal with a numbered placeholder before the library sees the text, and
 * decodes the literal ourselves with JSON rules (RFC 7644 §3.4.2.2: string literals are JSON
 * strings). This works around two defects of scim2-parse-filter 0.2.10: its tokenizer doubles
 * backslashes (so `"a\\b"` and `"\u00e9"` are mis-read), and its string pattern backtracks
 * exponentially on an unterminated string containing newlines. The scan also bounds the nesting of
 * brackets, and rewrites `attr[…].sub op value` (see {@link foldSubAttributeAfterValuePath}).
 */
function protectStringLiterals(text: string) {
  const strings: string[] = [];
  let out = '';
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = closingQuote(text, i);
      strings.push(decodeStringLiteral(text.slice(i, end + 1)));
      out += `"${strings.length - 1}"`;
      i = end;
      continue;
    }
    if (c === '(' || c === '[') depth++;
    if (c === ')' || c === ']') depth--;
    if (depth > MAX_FILTER_DEPTH) throw invalidFilter(`the filter nests brackets deeper than ${MAX_FILTER_DEPTH} levels`);
    out += c;
  }
  out = foldSubAttributeAfterValuePath(out);
  const restore = (message: string) => message.replace(/"(\d+)"/g, (_, n: string) => JSON.stringify(strings[Number(n)]));
  return { text: out, strings, restore };
}

const VALUE_PATH_THEN_SUB = /([A-Za-z][\w:.$-]*)\[([^[\]]*)\]\.([A-Za-z$][\w$]*)\s+(?:(pr)\b|(eq|ne|co|sw|ew|gt|ge|lt|le)\s+("\d+"|[^\s()[\]]+))/gi;

/**
 * Microsoft Entra ID matches users with `emails[type eq "work"].value eq "…"` (its SCIM validator
 * and provisioning tutorial). RFC 7644 §3.4.2.2's grammar has no sub-attribute after a value path,
 * and the library would read it as a different filter, so it is rewritten to the equivalent
 * `emails[(type eq "work") and value eq "…"]`: one element must satisfy both. Runs on text whose
 * string literals are already placeholders, so it cannot be fooled by brackets inside strings.
 */
function foldSubAttributeAfterValuePath(text: string): string {
  const folded = text.replace(VALUE_PATH_THEN_SUB, (_m, attr: string, inner: string, sub: string, pr: string | undefined, op: string | undefined, value: string | undefined) =>
    pr ? `${attr}[(${inner}) and ${sub} pr]` : `${attr}[(${inner}) and ${sub} ${op} ${value}]`);
  if (/\]\./.test(folded)) {
    throw invalidFilter('a sub-attribute after a value path must be followed by a comparison, as in emails[type eq "work"].value eq "…"');
  }
  return folded;
}

function closingQuote(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  throw invalidFilter(`the string starting at position ${start + 1} has no closing quote`);
}

function decodeStringLiteral(literal: string): string {
  try {
    return JSON.parse(literal) as string;
  } catch {
    throw invalidFilter(`${literal} is not a valid JSON string (control characters must be escaped)`);
  }
}

/** Turns the library's AST into ours, resolving paths and counting comparisons as it goes. */
class Converter {
  private comparisons = 0;
  private readonly registry = schemaRegistry();

  constructor(
    private readonly type: ResourceTypeName,
    private readonly strings: string[],
  ) {}

  node(filter: LibraryFilter, depth: number, parent?: ResolvedPath): FilterNode {
    if (depth > MAX_FILTER_DEPTH) throw invalidFilter(`the filter nests deeper than ${MAX_FILTER_DEPTH} levels`);
    switch (filter.op) {
      case 'and':
      case 'or':
        return { kind: filter.op, filters: filter.filters.map((f) => this.node(f, depth + 1, parent)) };
      case 'not':
        return { kind: 'not', filter: this.node(filter.filter, depth + 1, parent) };
      case '[]':
        return this.valuePath(filter.attrPath, filter.valFilter, depth, parent);
      case 'pr':
        this.count();
        return { kind: 'present', path: this.path(filter.attrPath, parent) };
      default:
        this.count();
        return this.compare(filter.op as CompareOperator, filter.attrPath, filter.compValue, parent);
    }
  }

  private count(): void {
    if (++this.comparisons > MAX_FILTER_COMPARISONS) throw invalidFilter(`the filter has more than ${MAX_FILTER_COMPARISONS} comparisons`);
  }

  // RFC 7644 §3.4.2.2 valuePath = attrPath "[" valFilter "]": a filter over the sub-attributes of
  // one complex attribute, matched by a single value of it. Value paths do not nest.
  private valuePath(attrPath: string, inner: LibraryFilter, depth: number, parent?: ResolvedPath): FilterNode {
    if (parent) throw invalidFilter(`a value path cannot be nested inside ${parent.attribute.name}[…]`);
    const path = this.path(attrPath);
    if (path.subAttribute || path.attribute.type !== 'complex') {
      throw invalidFilter(`${attrPath}[…] needs a complex attribute, such as emails or members`);
    }
    return { kind: 'valuePath', path, filter: this.node(inner, depth + 1, path) };
  }

  private compare(op: CompareOperator, attrPath: string, raw: unknown, parent?: ResolvedPath): FilterNode {
    const path = valueOf(this.path(attrPath, parent), attrPath);
    const leaf = leafOf(path);
    if (raw === null) {
      // RFC 7644 §3.4.2.2 and RFC 7643 §2.5: null is "no value", so `eq null` is "not present".
      if (op === 'eq') return { kind: 'not', filter: { kind: 'present', path } };
      if (op === 'ne') return { kind: 'present', path };
      throw invalidFilter(`${attrPath} ${op} null: only eq and ne accept null`);
    }
    checkOperator(op, leaf, attrPath);
    const value = typedValue(leaf, attrPath, typeof raw === 'string' ? this.strings[Number(raw)] : raw);
    return { kind: 'compare', op, path, value };
  }

  /** Resolves a path through the registry; inside `parent[…]` a bare sub-attribute name is expected. */
  private path(attrPath: string, parent?: ResolvedPath): ResolvedPath {
    const path = parent ? subAttributePath(parent, attrPath) : this.registry.resolve(this.type, attrPath);
    if (!path) throw invalidFilter(`unknown attribute "${attrPath}" for ${this.type}`);
    const attribute = leafOf(path);
    if (attribute.returned === 'never' || NOT_FILTERABLE[this.type].has(pathKey(path))) {
      throw invalidFilter(`"${attrPath}" cannot be used in a filter`);
    }
    return path;
  }
}

function subAttributePath(parent: ResolvedPath, name: string): ResolvedPath | undefined {
  const sub = parent.attribute.subAttributes?.find((a) => a.name.toLowerCase() === name.toLowerCase());
  return sub ? { ...parent, subAttribute: sub } : undefined;
}

/**
 * A comparison needs a single-typed value. RFC 7644 §3.4.2.2: for a complex attribute a
 * sub-attribute must be named; a multi-valued complex attribute with a `value` sub-attribute
 * (`emails eq "x"`, `members eq "id"`) is read as that sub-attribute, as common clients expect.
 */
function valueOf(path: ResolvedPath, attrPath: string): ResolvedPath {
  if (path.subAttribute || path.attribute.type !== 'complex') return path;
  const value = path.attribute.multiValued ? path.attribute.subAttributes?.find((a) => a.name === 'value') : undefined;
  if (!value) throw invalidFilter(`${attrPath} is complex: compare one of its sub-attributes, e.g. ${attrPath}.${path.attribute.subAttributes?.[0]?.name}`);
  return { ...path, subAttribute: value };
}

/**
 * RFC 7644 §3.4.2.2: gt/ge/lt/le on boolean or binary attributes SHALL be 400 invalidFilter.
 * Our choice beyond the RFC: co/sw/ew are only for strings and references (they have no meaning
 * on booleans, numbers, dates or base64 data).
 */
function checkOperator(op: CompareOperator, attribute: AttributeDef, attrPath: string): void {
  const { type } = attribute;
  if (ORDERING.has(op) && (type === 'boolean' || type === 'binary')) {
    throw invalidFilter(`${op} cannot be used on ${attrPath}, which is ${type}`);
  }
  if (SUBSTRING.has(op) && type !== 'string' && type !== 'reference') {
    throw invalidFilter(`${op} cannot be used on ${attrPath}, which is ${type}; use eq, ne, gt, ge, lt or le`);
  }
}

function typedValue(attribute: AttributeDef, attrPath: string, value: unknown): FilterValue {
  const wrongType = (expected: string) => invalidFilter(`${attrPath} is ${attribute.type}: the value ${JSON.stringify(value)} is not ${expected}`);
  switch (attribute.type) {
    case 'boolean': {
      // Entra ID writes booleans as strings elsewhere too; "True"/"False" are accepted here alike.
      const bool = typeof value === 'boolean' ? value : coerceBooleanString(value);
      if (bool === undefined) throw wrongType('true or false');
      return bool;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType('an integer');
      return value;
    case 'decimal':
      if (typeof value !== 'number') throw wrongType('a number');
      return value;
    case 'dateTime': {
      const date = typeof value === 'string' ? normaliseDateTime(value) : undefined;
      if (date === undefined) throw wrongType('a date-time such as "2026-01-31T12:00:00Z"');
      return date;
    }
    default:
      if (typeof value !== 'string') throw wrongType('a quoted string');
      return value;
  }
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?)?$/;

/**
 * An xsd:dateTime (RFC 7643 §2.3.5) checked field by field, so the database never has to reject it.
 * Without an offset the time is read as UTC; a bare date means its midnight UTC (our choice).
 * Returned as text in ISO form for a `timestamptz` cast, keeping any sub-millisecond digits.
 */
export function normaliseDateTime(text: string): string | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', offset = 'Z'] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  const valid =
    Number(y) >= 1 &&
    date.getUTCFullYear() === Number(y) &&
    date.getUTCMonth() === Number(mo) - 1 &&
    date.getUTCDate() === Number(d) &&
    date.getUTCHours() === Number(h) &&
    date.getUTCMinutes() === Number(mi) &&
    validOffset(offset);
  if (!valid) return undefined;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}${offset.toUpperCase()}`;
}

function validOffset(offset: string): boolean {
  if (offset.toUpperCase() === 'Z') return true;
  const [hours, minutes] = offset.slice(1).split(':').map(Number);
  return hours <= 14 && minutes < 60;
}

/** The path a sortBy names (RFC 7644 §3.4.2.3), resolved and checked like a filter path. */
export interface SortKey {
  path: ResolvedPath;
}

/**
 * Resolves `sortBy` (RFC 7644 §3.4.2.3). A complex attribute must be given as a sub-attribute path
 * (`name.familyName`); a multi-valued complex attribute alone means its `value`, and multi-valued
 * attributes sort by the primary value, else the first. The RFC names no error for an unusable
 * sortBy; we answer 400 invalidValue with the reason.
 */
export function parseSortBy(type: ResourceTypeName, text: string): SortKey {
  const invalid = (why: string) => badRequest(`sortBy "${text}" ${why}`, 'invalidValue');
  const path = schemaRegistry().resolve(type, text.trim());
  if (!path) throw invalid(`names no attribute of ${type}`);
  if (leafOf(path).returned === 'never' || NOT_FILTERABLE[type].has(pathKey(path))) throw invalid('cannot be sorted on');
  let resolved: ResolvedPath;
  try {
    resolved = valueOf(path, text);
  } catch {
    throw invalid('is complex: name one of its sub-attributes, e.g. name.familyName');
  }
  if (leafOf(resolved).type === 'binary') throw invalid('is binary and cannot be sorted on');
  return { path: resolved };
}
