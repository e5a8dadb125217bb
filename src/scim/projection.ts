import type { SchemaRegistry } from './schema-registry.ts';
import type { AttributeDef, ResolvedPath, ResourceTypeName } from './schema-types.ts';
import { badRequest } from './scim-error.ts';

/** `attributes` / `excludedAttributes` of a request (RFC 7644 §3.4.2.5), resolved against the registry. */
export interface Projection {
  attributes?: ResolvedPath[];
  excluded?: ResolvedPath[];
}

export function parseProjection(registry: SchemaRegistry, type: ResourceTypeName, attributes?: unknown, excluded?: unknown): Projection {
  const parse = (raw: unknown, name: string): ResolvedPath[] | undefined => {
    if (raw === undefined || raw === null) return undefined;
    const list = Array.isArray(raw) ? raw : String(raw).split(',');
    const paths = list.map((p) => String(p).trim()).filter(Boolean);
    if (paths.length === 0) return undefined;
    return paths.map((p) => {
      const resolved = registry.resolve(type, p);
      if (!resolved) throw badRequest(`${name} names an unknown attribute "${p}"`, 'invalidValue');
      return resolved;
    });
  };
  return { attributes: parse(attributes, 'attributes'), excluded: parse(excluded, 'excludedAttributes') };
}

type Decision = { include: false } | { include: true; only?: Set<string> };

function samePath(path: ResolvedPath, schema: string, attribute: AttributeDef): boolean {
  return path.schema === schema && path.attribute.name === attribute.name;
}

/** Whether the top-level attribute is returned at all, and if only some of its sub-attributes are. */
function decide(projection: Projection, schema: string, attribute: AttributeDef): Decision {
  if (attribute.returned === 'never') return { include: false };
  if (attribute.returned === 'always') return { include: true };
  if (projection.attributes) {
    const named = projection.attributes.filter((p) => samePath(p, schema, attribute));
    if (named.length === 0) return { include: false };
    if (named.some((p) => !p.subAttribute)) return { include: true };
    const only = new Set(named.map((p) => p.subAttribute!.name));
    for (const sub of attribute.subAttributes ?? []) if (sub.returned === 'always') only.add(sub.name);
    return { include: true, only };
  }
  if (attribute.returned === 'request') return { include: false };
  const excluded = (projection.excluded ?? []).filter((p) => samePath(p, schema, attribute));
  if (excluded.some((p) => !p.subAttribute)) return { include: false };
  if (excluded.length === 0) return { include: true };
  const drop = new Set(excluded.map((p) => p.subAttribute!.name));
  const only = new Set((attribute.subAttributes ?? []).filter((s) => !drop.has(s.name) || s.returned === 'always').map((s) => s.name));
  return { include: true, only };
}

const hidesSubAttributes = new WeakMap<AttributeDef, boolean>();

/** Whether a complex value must be rebuilt: some of its sub-attributes are to go. */
function filtersSubAttributes(attribute: AttributeDef, only: Set<string> | undefined): boolean {
  if (only) return true;
  let hides = hidesSubAttributes.get(attribute);
  if (hides === undefined) {
    hides = (attribute.subAttributes ?? []).some((s) => s.returned === 'never');
    hidesSubAttributes.set(attribute, hides);
  }
  return hides;
}

function keepSubAttributes(value: unknown, attribute: AttributeDef, only: Set<string> | undefined): unknown {
  // Most responses ask for the default set: a value with nothing to hide is passed on as it is.
  if (!filtersSubAttributes(attribute, only)) return value;
  const subs = attribute.subAttributes ?? [];
  const pick = (item: unknown) => {
    if (typeof item !== 'object' || item === null) return item;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(item)) {
      const sub = subs.find((s) => s.name === k);
      if (sub?.returned === 'never') continue;
      if (only && !only.has(k)) continue;
      out[k] = v;
    }
    return out;
  };
  return Array.isArray(value) ? value.map(pick) : pick(value);
}

/**
 * Applies the `returned` characteristic and the request's attribute lists to a full resource
 * (RFC 7643 §2.4, RFC 7644 §3.4.2.5). `schemas` and `always` attributes are kept whatever is asked.
 */
export function project(registry: SchemaRegistry, type: ResourceTypeName, resource: Record<string, unknown>, projection: Projection): Record<string, unknown> {
  const model = registry.model(type);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'schemas') {
      out[key] = value;
      continue;
    }
    const extension = model.extensionAttributes.get(key.toLowerCase());
    if (extension) {
      const kept: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
        const attribute = extension.attributes.get(name.toLowerCase());
        if (!attribute) continue;
        const decision = decide(projection, extension.schema.id, attribute);
        if (decision.include) kept[name] = attribute.type === 'complex' ? keepSubAttributes(v, attribute, decision.only) : v;
      }
      if (Object.keys(kept).length) out[key] = kept;
      continue;
    }
    const attribute = model.coreAttributes.get(key.toLowerCase());
    if (!attribute) continue;
    const decision = decide(projection, model.core.id, attribute);
    if (!decision.include) continue;
    out[key] = attribute.type === 'complex' ? keepSubAttributes(value, attribute, decision.only) : value;
  }
  return out;
}

/** Whether a top-level core attribute would be returned: lets callers skip work (a group's members). */
export function isReturned(registry: SchemaRegistry, type: ResourceTypeName, projection: Projection, name: string): boolean {
  const model = registry.model(type);
  const attribute = model.coreAttributes.get(name.toLowerCase());
  return Boolean(attribute && decide(projection, model.core.id, attribute).include);
}
