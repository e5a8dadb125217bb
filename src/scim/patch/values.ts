// Type checks for PATCH values (RFC 7643 §2.3). Values are converted exactly as in a POST or PUT
// body (resource-input.ts convertAttribute: canonical keys, booleans sent as strings, string length
// bound, readOnly sub-attributes dropped per RFC 7644 §3.5.1), so PATCH and PUT store the same
// shapes. What PATCH adds: null handling, the Entra bare-value quirk and one primary per array.
import { badRequest } from '../scim-error.ts';
import type { AttributeDef } from '../schema-types.ts';
import { convertAttribute, isObject } from '../resource-input.ts';
import { bareValueAsComplex, singleFromOneElementArray } from '../quirks/index.ts';

export { isObject as isPlainObject };

/** A deep copy of a JSON value: objects, arrays and scalars (far cheaper than structuredClone). */
export function copyJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyJson) as T;
  if (!isObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = copyJson(value[key]);
  return copy as T;
}

/** One value of a simple (non-complex) attribute, RFC 7643 §2.3.1–§2.3.7; `raw` is not null. */
export function coerceSimple(def: AttributeDef, raw: unknown, label: string): unknown {
  if (def.type === 'complex') throw badRequest(`${label} must be a simple value`, 'invalidValue');
  return convertAttribute(def, raw, label);
}

/** One complex value (RFC 7643 §2.3.8): an object whose keys become canonical sub-attribute names. */
export function coerceComplex(def: AttributeDef, raw: unknown, label: string): Record<string, unknown> {
  if (!isObject(raw)) throw badRequest(`${label} must be an object`, 'invalidValue');
  return (convertAttribute({ ...def, multiValued: false }, raw, label) as Record<string, unknown> | undefined) ?? {};
}

/** RFC 7643 §2.4: the primary value "true" MUST appear no more than once. */
export function assertOnePrimary(elements: unknown[], label: string): void {
  const primaries = elements.filter((e) => isObject(e) && e.primary === true).length;
  if (primaries > 1) throw badRequest(`Only one value of '${label}' may be primary`, 'invalidValue');
}

/**
 * The elements of a multi-valued attribute. A single element is read as a one-element array
 * (clients send `"value": {…}` for one e-mail); null and empty elements are dropped.
 */
export function coerceElements(def: AttributeDef, raw: unknown, label: string): unknown[] {
  const elements = (convertAttribute(def, raw, label) as unknown[] | undefined) ?? [];
  assertOnePrimary(elements, label);
  return elements;
}

/** The value an operation gives a whole attribute, as its type and plurality want it. */
export function coerceAttributeValue(def: AttributeDef, raw: unknown, label: string): unknown {
  if (def.multiValued) return coerceElements(def, raw, label);
  if (def.type === 'complex') return coerceComplex(def, bareValueAsComplex(def, singleFromOneElementArray(def, raw)), label);
  return coerceSimple(def, raw, label);
}
