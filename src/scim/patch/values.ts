// Type checks for PATCH values (RFC 7643 §2.3). Every value leaves here with canonical keys and the
// attribute's JSON type, or a 400 invalidValue whose detail names the attribute.
import { badRequest } from '../scim-error.ts';
import type { AttributeDef } from '../schema-types.ts';
import { bareValueAsComplex, booleanFromString } from '../quirks/index.ts';

// RFC 7643 §2.3.5: xsd:dateTime, e.g. 2008-01-23T04:56:22Z or with an offset.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const mustBe = (label: string, what: string) => badRequest(`Attribute '${label}' must be ${what}`, 'invalidValue');

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One value of a simple (non-complex) attribute, RFC 7643 §2.3.1–§2.3.7. */
export function coerceSimple(def: AttributeDef, raw: unknown, label: string): unknown {
  switch (def.type) {
    case 'string':
    case 'reference':
    case 'binary':
      if (typeof raw !== 'string') throw mustBe(label, 'a string');
      return raw;
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const parsed = typeof raw === 'string' ? booleanFromString(raw) : undefined; // Entra sends "False"
      if (parsed === undefined) throw mustBe(label, 'a boolean');
      return parsed;
    }
    case 'integer':
      if (typeof raw !== 'number' || !Number.isInteger(raw)) throw mustBe(label, 'an integer');
      return raw;
    case 'decimal':
      if (typeof raw !== 'number' || !Number.isFinite(raw)) throw mustBe(label, 'a number');
      return raw;
    case 'dateTime':
      if (typeof raw !== 'string' || !DATE_TIME.test(raw) || Number.isNaN(Date.parse(raw))) throw mustBe(label, 'a dateTime (RFC 7643 §2.3.5)');
      return raw;
    default:
      throw mustBe(label, 'a complex value');
  }
}

/**
 * A complex value (RFC 7643 §2.3.8): keys canonicalised against the sub-attributes (names are
 * case-insensitive, §2.1), null sub-values dropped (§2.5: null is unassigned), readOnly
 * sub-attributes dropped as in a PUT (RFC 7644 §3.5.1; Okta sends members' `display`).
 */
export function coerceComplex(def: AttributeDef, raw: unknown, label: string): Record<string, unknown> {
  if (!isPlainObject(raw)) throw mustBe(label, 'an object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const sub = def.subAttributes?.find((s) => s.name.toLowerCase() === key.toLowerCase());
    if (!sub) throw badRequest(`Attribute '${label}' has no sub-attribute '${key}'`, 'invalidValue');
    if (value === null || value === undefined || sub.mutability === 'readOnly') continue;
    out[sub.name] = coerceSimple(sub, value, `${label}.${sub.name}`);
  }
  return out;
}

/** RFC 7643 §2.4: the primary value "true" MUST appear no more than once. */
export function assertOnePrimary(elements: unknown[], label: string): void {
  const primaries = elements.filter((e) => isPlainObject(e) && e.primary === true).length;
  if (primaries > 1) throw badRequest(`Only one value of '${label}' may be primary`, 'invalidValue');
}

/**
 * The elements of a multi-valued attribute. A single element is read as a one-element array
 * (clients send `"value": {…}` for one e-mail); null and empty elements are dropped.
 */
export function coerceElements(def: AttributeDef, raw: unknown, label: string): unknown[] {
  const list = Array.isArray(raw) ? raw : [raw];
  const out: unknown[] = [];
  for (const element of list) {
    if (element === null) continue;
    if (def.type !== 'complex') {
      out.push(coerceSimple(def, element, label));
      continue;
    }
    const value = coerceComplex(def, element, label);
    if (Object.keys(value).length) out.push(value);
  }
  assertOnePrimary(out, label);
  return out;
}

/** The value an operation gives a whole attribute, as its type and plurality want it. */
export function coerceAttributeValue(def: AttributeDef, raw: unknown, label: string): unknown {
  if (def.multiValued) return coerceElements(def, raw, label);
  if (def.type === 'complex') return coerceComplex(def, bareValueAsComplex(def, raw), label);
  return coerceSimple(def, raw, label);
}
