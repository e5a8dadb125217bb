// Requests Microsoft Entra ID's provisioning service sends that RFC 7644 does not define (or
// defines differently), and how we read them. Sources:
// - "Known issues and resolutions with SCIM 2.0 protocol compliance of the Microsoft Entra user
//   provisioning service" (learn.microsoft.com/entra/identity/app-provisioning/
//   application-provisioning-config-problem-scim-compatibility), incl. the aadOptscim062020 flag;
// - "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID"
//   (use-scim-to-provision-users-and-groups), its request examples;
// - Microsoft Q&A 120490 (Danny Zollner, Microsoft): Add to `addresses[type eq "work"].formatted`
//   when no such address exists creates it.
// Each function is called from src/scim/patch/*; tests replay the documented request bodies.
import type { Filter } from 'scim2-parse-filter';
import type { ResourceModel } from '../schema-registry.ts';
import type { AttributeDef } from '../schema-types.ts';
import type { PatchOpName } from '../patch/types.ts';

const OP_NAMES: readonly PatchOpName[] = ['add', 'replace', 'remove'];

/**
 * Entra writes operation names capitalised ("Add", "Replace", "Remove"); RFC 7644 §3.5.2 spells
 * them in lower case. We compare case-insensitively. Undefined for anything else.
 */
export function patchOpName(raw: unknown): PatchOpName | undefined {
  if (typeof raw !== 'string') return undefined;
  const lower = raw.toLowerCase();
  return OP_NAMES.find((name) => name === lower);
}

// Booleans sent as strings ("value":"False") are read by coerceBooleanString in ./booleans.ts,
// shared with POST/PUT bodies and filters.

/**
 * Entra maps its manager reference to
 * `{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"<id>"}`:
 * a bare id where RFC 7643 §4.3 wants the complex `{"value":"<id>"}`. A scalar sent for a
 * single-valued complex attribute that has a `value` sub-attribute is read as that sub-attribute.
 */
export function bareValueAsComplex(attribute: AttributeDef, raw: unknown): unknown {
  const scalar = typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean';
  if (!scalar || attribute.type !== 'complex' || attribute.multiValued) return raw;
  const valueSub = attribute.subAttributes?.find((s) => s.name === 'value');
  return valueSub ? { [valueSub.name]: raw } : raw;
}

/**
 * The tutorial's manager example sends `{"op":"Add","path":"manager","value":[{"$ref":"…","value":"<id>"}]}`:
 * an enterprise attribute without its URN, which RFC 7644 §3.10 says clients MUST give. When a
 * name is not a core attribute and exactly one extension of the type has it, the path is
 * qualified with that extension's URN. Undefined otherwise (the caller answers invalidPath).
 */
export function qualifiedExtensionPath(model: ResourceModel, text: string): string | undefined {
  if (/^urn:/i.test(text)) return undefined;
  const name = text.split('.')[0].toLowerCase();
  const owners = model.extensions.filter((schema) => schema.attributes.some((a) => a.name.toLowerCase() === name));
  return owners.length === 1 ? `${owners[0].id}:${text}` : undefined;
}

/**
 * The same example wraps the single-valued complex manager in a one-element array. For a
 * single-valued complex attribute, `[x]` is read as `x`.
 */
export function singleFromOneElementArray(attribute: AttributeDef, raw: unknown): unknown {
  if (attribute.multiValued || attribute.type !== 'complex' || !Array.isArray(raw) || raw.length !== 1) return raw;
  return raw[0];
}

/**
 * Entra sends `{"op":"Add","path":"emails[type eq \"work\"].value","value":"a@x.se"}` also when the
 * user has no work e-mail yet, and expects one to be created (Microsoft Q&A 120490). RFC 7644
 * §3.5.2.1 does not define add with a value filter. When the filter is `eq` comparisons joined by
 * `and`, its comparisons describe the new element: here `{ type: "work" }`. Undefined otherwise
 * (the caller answers noTarget).
 */
export function seedFromValueFilter(filter: Filter): Record<string, unknown> | undefined {
  if (filter.op === 'eq') {
    if (filter.compValue === null) return undefined;
    return { [filter.attrPath]: filter.compValue };
  }
  if (filter.op !== 'and') return undefined;
  const seed: Record<string, unknown> = {};
  for (const part of filter.filters) {
    const partSeed = seedFromValueFilter(part);
    if (!partSeed) return undefined;
    Object.assign(seed, partSeed);
  }
  return seed;
}

/**
 * PATCH without `path`: RFC 7644 §3.5.2.1 gives a value object of attributes, extension attributes
 * nested under their URN. Entra (aadOptscim062020 and later) instead writes paths as keys:
 * `{"op":"replace","value":{"name.givenName":"A","emails[type eq \"work\"].value":"a@x.se",
 * "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"1"}}`.
 * Returns the value as (path text, value) pairs: every key is read as an attribute path, and an
 * object under a schema URN key (`{"urn:…:enterprise:2.0:User":{"department":"X"}}`) becomes one
 * pair per attribute (`urn:…:enterprise:2.0:User:department`).
 */
export function pathlessEntries(value: Record<string, unknown>, schemaIds: readonly string[]): [string, unknown][] {
  const entries: [string, unknown][] = [];
  for (const [key, inner] of Object.entries(value)) {
    const schema = schemaIds.find((id) => id.toLowerCase() === key.toLowerCase());
    if (schema && typeof inner === 'object' && inner !== null && !Array.isArray(inner)) {
      for (const [name, v] of Object.entries(inner)) entries.push([`${schema}:${name}`, v]);
    } else {
      entries.push([key, inner]);
    }
  }
  return entries;
}

/**
 * Entra removes group members with `{"op":"Remove","path":"members","value":[{"value":"<id>"}]}`
 * (the tutorial's "Remove Member from Group"); RFC 7644 §3.5.2.2 ignores the value of a remove and
 * would remove every member. A remove of a multi-valued attribute without filter that carries a
 * value removes only the listed elements.
 */
export function removesListedValues(value: unknown): boolean {
  return value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);
}
