import type { SchemaRegistry } from './schema-registry.ts';
import type { AttributeDef, ResourceTypeName } from './schema-types.ts';
import { badRequest } from './scim-error.ts';
import { coerceBooleanString } from './quirks/booleans.ts';

/** A resource as the server holds it in memory: canonical attribute names, extensions under their URN. */
export type CanonicalResource = Record<string, unknown>;

const IGNORED_TOP_LEVEL = new Set(['schemas', 'id', 'meta']);

/**
 * Turns a POST or PUT body into a canonical resource (RFC 7644 §3.3, §3.5.1): attribute names are
 * matched case-insensitively and rewritten in their canonical case, null means "no value",
 * read-only attributes are dropped (the server ignores them), and unknown attributes or values of
 * the wrong type are refused with 400.
 */
export function canonicaliseResource(registry: SchemaRegistry, type: ResourceTypeName, body: unknown): CanonicalResource {
  if (!isObject(body)) throw badRequest('the body must be a JSON object', 'invalidSyntax');
  checkSchemas(registry, type, body.schemas);
  const model = registry.model(type);
  const out: CanonicalResource = {};
  for (const [key, value] of Object.entries(body)) {
    if (IGNORED_TOP_LEVEL.has(key.toLowerCase())) continue;
    const extension = registry.extensionSchema(type, key);
    if (extension) {
      if (value === null) continue;
      if (!isObject(value)) throw badRequest(`${extension.id} must be an object`, 'invalidSyntax');
      const attributes = canonicaliseAttributes(extension.attributes, value, extension.id);
      if (Object.keys(attributes).length) out[extension.id] = { ...(out[extension.id] as object), ...attributes };
      continue;
    }
    const resolved = /^urn:/i.test(key) ? registry.resolve(type, key) : undefined;
    if (resolved?.inExtension && !resolved.subAttribute) {
      // An extension attribute given by its full path as a top-level key (Entra does this).
      const converted = convertAttribute(resolved.attribute, value, `${resolved.schema}:${resolved.attribute.name}`);
      if (converted !== undefined) out[resolved.schema] = { ...(out[resolved.schema] as object), [resolved.attribute.name]: converted };
      continue;
    }
    const attribute = resolved && !resolved.inExtension && !resolved.subAttribute ? resolved.attribute : model.coreAttributes.get(key.toLowerCase());
    if (!attribute) throw badRequest(`unknown attribute "${key}" for ${type}`, 'invalidSyntax');
    const converted = convertAttribute(attribute, value, attribute.name);
    if (converted !== undefined) out[attribute.name] = converted;
  }
  return out;
}

function checkSchemas(registry: SchemaRegistry, type: ResourceTypeName, schemas: unknown): void {
  const model = registry.model(type);
  if (!Array.isArray(schemas) || schemas.some((s) => typeof s !== 'string')) {
    throw badRequest(`"schemas" must be an array of schema URNs including ${model.core.id}`, 'invalidSyntax');
  }
  const known = new Set(model.schemaIds.map((s) => s.toLowerCase()));
  for (const s of schemas as string[]) {
    if (!known.has(s.toLowerCase())) throw badRequest(`schema ${s} does not apply to ${type}`, 'invalidSyntax');
  }
  if (!(schemas as string[]).some((s) => s.toLowerCase() === model.core.id.toLowerCase())) {
    throw badRequest(`"schemas" must include ${model.core.id}`, 'invalidSyntax');
  }
}

function canonicaliseAttributes(attributes: AttributeDef[], input: Record<string, unknown>, where: Where): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    const attribute = attributeNamed(attributes, key);
    if (!attribute) throw badRequest(`unknown attribute "${key}" in ${describe(where)}`, 'invalidSyntax');
    const converted = convertAttribute(attribute, input[key], { parent: where, name: attribute.name });
    if (converted !== undefined) out[attribute.name] = converted;
  }
  return out;
}

const attributesByName = new WeakMap<AttributeDef[], Map<string, AttributeDef>>();

/** RFC 7643 §2.1: attribute names are case-insensitive. */
function attributeNamed(attributes: AttributeDef[], key: string): AttributeDef | undefined {
  let byName = attributesByName.get(attributes);
  if (!byName) attributesByName.set(attributes, (byName = new Map(attributes.map((a) => [a.name.toLowerCase(), a]))));
  return byName.get(key) ?? byName.get(key.toLowerCase());
}

/**
 * Where a value sits in the request (`emails[2].value`), for error details. Kept as a chain and
 * written out only when an error needs it: a PATCH may carry tens of thousands of values.
 */
export type Where = string | { parent: Where; index: number } | { parent: Where; name: string };

function describe(where: Where): string {
  if (typeof where === 'string') return where;
  return 'index' in where ? `${describe(where.parent)}[${where.index}]` : `${describe(where.parent)}.${where.name}`;
}

/**
 * The value of one attribute in canonical form, or undefined when it is to be left out (null,
 * empty, or read-only: RFC 7644 §3.5.1 says the server ignores read-only values it is sent).
 */
export function convertAttribute(attribute: AttributeDef, value: unknown, where: Where): unknown {
  if (attribute.mutability === 'readOnly') return undefined;
  if (value === null || value === undefined) return undefined;
  if (attribute.multiValued) {
    // A single value where an array is expected is accepted as an array of one (several clients do this).
    const values = Array.isArray(value) ? value : [value];
    const items: unknown[] = [];
    for (let i = 0; i < values.length; i++) {
      const item = convertSingle(attribute, values[i], { parent: where, index: i });
      if (item !== undefined) items.push(item);
    }
    return items.length ? items : undefined;
  }
  if (Array.isArray(value)) throw badRequest(`${describe(where)} is single-valued and cannot be an array`, 'invalidValue');
  return convertSingle(attribute, value, where);
}

function convertSingle(attribute: AttributeDef, value: unknown, where: Where): unknown {
  if (value === null) return undefined;
  switch (attribute.type) {
    case 'complex': {
      if (!isObject(value)) throw badRequest(`${describe(where)} must be an object`, 'invalidValue');
      const converted = canonicaliseAttributes(attribute.subAttributes ?? [], value, where);
      return Object.keys(converted).length ? converted : undefined;
    }
    case 'boolean': {
      const b = typeof value === 'boolean' ? value : coerceBooleanString(value);
      if (b === undefined) throw badRequest(`${describe(where)} must be true or false`, 'invalidValue');
      return b;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw badRequest(`${describe(where)} must be an integer`, 'invalidValue');
      return value;
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw badRequest(`${describe(where)} must be a number`, 'invalidValue');
      return value;
    case 'dateTime':
      if (typeof value !== 'string' || !isDateTime(value)) throw badRequest(`${describe(where)} must be an xsd:dateTime such as 2026-01-31T12:00:00Z`, 'invalidValue');
      return value;
    default:
      if (typeof value !== 'string') throw badRequest(`${describe(where)} must be a string`, 'invalidValue');
      if (value.length > MAX_STRING_LENGTH) throw badRequest(`${describe(where)} is longer than ${MAX_STRING_LENGTH} characters`, 'invalidValue');
      return value;
  }
}

export const MAX_STRING_LENGTH = 2048;

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
export function isDateTime(text: string): boolean {
  return DATE_TIME.test(text) && !Number.isNaN(Date.parse(text));
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
