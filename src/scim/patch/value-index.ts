// When two values of a multi-valued attribute are "the same" for PATCH (RFC 7644 §3.5.2.1: a value
// already present is not added again; §3.5.2.2: a remove with a value list removes those values),
// and an index that finds them by key instead of comparing each value with each.
import type { AttributeDef } from '../schema-types.ts';
import { isPlainObject } from './values.ts';

/**
 * Equal values get equal keys. Values with a `value` sub-attribute are keyed by it (folded to lower
 * case unless caseExact, RFC 7643 §2.2), others by all their sub-attributes but `primary`: an
 * address given again as primary is the address already there, made primary.
 */
export function valueKey(attribute: AttributeDef, element: unknown): string {
  if (attribute.type !== 'complex') return scalarKey(attribute, element);
  const valueSub = valueSubAttribute(attribute);
  if (valueSub && isPlainObject(element) && element.value !== undefined) return scalarKey(valueSub, element.value);
  return `\u0000o${canonicalJson(element, 'primary')}`;
}

const valueSubs = new WeakMap<AttributeDef, AttributeDef | null>();
function valueSubAttribute(attribute: AttributeDef): AttributeDef | undefined {
  let sub = valueSubs.get(attribute);
  if (sub === undefined) valueSubs.set(attribute, (sub = attribute.subAttributes?.find((s) => s.name === 'value') ?? null));
  return sub ?? undefined;
}

// Strings stand for themselves; U+0000, which no stored string holds, marks the other kinds.
function scalarKey(def: AttributeDef, value: unknown): string {
  if (typeof value === 'string') return def.caseExact ? value : value.toLowerCase();
  return `\u0000j${canonicalJson(value)}`;
}

/** JSON with object keys in sorted order, so that equal values give equal text. */
function canonicalJson(value: unknown, skip?: string): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).filter((k) => k !== skip).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The values of multi-valued attributes by key, kept from one operation of a request to the next
 * so that adding one value costs one lookup, not a pass over every value. An index belongs to one
 * array; an operation that changes values in place (a filtered or sub-attribute path) drops it,
 * one that makes a new array moves it. Each key lists every value that has it: a stored resource
 * may hold duplicates, and a remove by value removes them all.
 */
export class ValueIndexes {
  private readonly indexes = new WeakMap<unknown[], Map<string, unknown[]>>();

  of(attribute: AttributeDef, values: unknown[]): Map<string, unknown[]> {
    let index = this.indexes.get(values);
    if (!index) {
      index = new Map();
      for (const value of values) {
        const key = valueKey(attribute, value);
        const same = index.get(key);
        if (same) same.push(value);
        else index.set(key, [value]);
      }
      this.indexes.set(values, index);
    }
    return index;
  }

  move(from: unknown[], to: unknown[]): void {
    const index = this.indexes.get(from);
    if (index) this.indexes.set(to, index);
    this.indexes.delete(from);
  }

  forget(values: unknown): void {
    if (Array.isArray(values)) this.indexes.delete(values);
  }
}
