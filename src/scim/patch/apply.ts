// RFC 7644 §3.5.2: applies parsed operations to a canonical resource. Pure: the input is cloned
// once and never touched; operations run in order on the clone; the first failure throws a
// ScimError and the caller stores nothing (the request is atomic, §3.5.2: "If one or more
// operations fails, the entire request SHALL fail").
//
// Work grows linearly with the request (SPEC §5.4): values of a multi-valued attribute are found
// through an index kept across the operations (value-index.ts), never by comparing each with each,
// and no User attribute holds more than MAX_ATTRIBUTE_VALUES values after any operation, so an
// operation that has to visit every value (a filtered path) visits at most that many.
import { isDeepStrictEqual } from 'node:util';
import { badRequest } from '../scim-error.ts';
import { MAX_ATTRIBUTE_VALUES, tooManyValues } from '../bounds.ts';
import { schemaRegistry } from '../schema-registry.ts';
import { pathKey, type AttributeDef, type ResourceTypeName } from '../schema-types.ts';
import { seedFromValueFilter } from '../quirks/index.ts';
import type { CanonicalResource, PatchOperation, PatchPath } from './types.ts';
import { matchingValues } from './value-filter.ts';
import { ValueIndexes, valueKey } from './value-index.ts';
import { copyJson, isPlainObject } from './values.ts';

type Json = Record<string, unknown>;

/** Where one operation works: the object holding the attribute (the resource or its extension). */
interface Target {
  holder: Json;
  path: PatchPath;
  label: string;
  value: unknown;
  indexes: ValueIndexes;
}

/** Applies `ops` (from parsePatchRequest) in sequence and returns the new resource. */
export function applyPatch(type: ResourceTypeName, resource: CanonicalResource, ops: PatchOperation[]): CanonicalResource {
  const schemaIds = schemaRegistry().model(type).schemaIds;
  // Group members are bounded per request instead (bounds.ts MAX_PATCH_MEMBER_VALUES).
  const maxValues = type === 'User' ? MAX_ATTRIBUTE_VALUES : Infinity;
  const doc = copyJson(resource);
  const indexes = new ValueIndexes();
  for (const op of ops) {
    if (!schemaIds.includes(op.path.schema)) throw badRequest(`Path '${op.path.text}' does not belong to a ${type}`, 'invalidPath');
    applyOperation(doc, op, indexes);
    assertValuesBound(doc, op.path, maxValues);
  }
  return doc;
}

/** SPEC §5.4: a multi-valued attribute holds at most `max` values, after every operation. */
function assertValuesBound(doc: Json, path: PatchPath, max: number): void {
  if (!path.attribute.multiValued) return;
  const values = (path.inExtension ? (doc[path.schema] as Json | undefined)?.[path.attribute.name] : doc[path.attribute.name]) as unknown;
  if (Array.isArray(values) && values.length > max) throw tooManyValues(pathKey({ ...path, subAttribute: undefined }), values.length);
}

function applyOperation(doc: Json, op: PatchOperation, indexes: ValueIndexes): void {
  const label = pathKey(op.path);
  assertRequiredKept(op, label);
  // RFC 7643 §2.5: null is "unassigned"; adding it changes nothing, replacing with it removes.
  if (op.op === 'add' && op.value === null) return;
  const kind = op.op === 'replace' && op.value === null ? 'remove' : op.op;
  const target: Target = { holder: holderOf(doc, op.path), path: op.path, label, value: op.value, indexes };
  const { attribute, subAttribute, filter } = op.path;
  if (filter || (attribute.multiValued && subAttribute)) elementsOperation(kind, target);
  else if (attribute.multiValued) listOperation(kind, target);
  else if (subAttribute) subAttributeOperation(kind, target);
  else if (attribute.type === 'complex') complexOperation(kind, target);
  else simpleOperation(kind, target);
  tidy(doc, target);
}

/** Extension attributes live under their URN key (created on first write). */
function holderOf(doc: Json, path: PatchPath): Json {
  if (!path.inExtension) return doc;
  if (!isPlainObject(doc[path.schema])) doc[path.schema] = {};
  return doc[path.schema] as Json;
}

/** RFC 7643 §2.5: an empty complex value or array is unassigned; so is an empty extension. */
function tidy(doc: Json, { holder, path }: Target): void {
  const value = holder[path.attribute.name];
  if ((Array.isArray(value) && value.length === 0) || (isPlainObject(value) && Object.keys(value).length === 0)) delete holder[path.attribute.name];
  if (path.inExtension && Object.keys(holder).length === 0) delete doc[path.schema];
}

/**
 * A required attribute (userName, Group displayName) cannot become unassigned. RFC 7644 leaves the
 * error open; we answer remove with mutability ("not compatible with the attribute's … current
 * state", §3.12) and a null value with invalidValue.
 */
function assertRequiredKept(op: PatchOperation, label: string): void {
  const { attribute, subAttribute, filter } = op.path;
  if (!attribute.required || subAttribute || filter) return;
  if (op.op === 'remove') throw badRequest(`Attribute '${label}' is required and cannot be removed`, 'mutability');
  if (op.op === 'replace' && op.value === null) throw badRequest(`Attribute '${label}' is required and cannot be null`, 'invalidValue');
}

/** RFC 7644 §3.5.2: an immutable attribute may be added when it has no value, never changed. */
function assertMutable(def: AttributeDef | undefined, current: unknown, next: unknown, label: string, sub?: string): void {
  if (def?.mutability !== 'immutable' || current === undefined || current === null) return;
  if (!isDeepStrictEqual(current, next)) throw badRequest(`Attribute '${sub === undefined ? label : `${label}.${sub}`}' is immutable and already has a value`, 'mutability');
}

// RFC 7644 §3.5.2.1 add / §3.5.2.3 replace of a single-valued simple attribute: set it.
function simpleOperation(kind: PatchOperation['op'], { holder, path, label, value }: Target): void {
  const name = path.attribute.name;
  assertMutable(path.attribute, holder[name], kind === 'remove' ? undefined : value, label);
  if (kind === 'remove') delete holder[name];
  else holder[name] = value;
}

/**
 * Single-valued complex attribute (`name`, enterprise `manager`). RFC 7644 §3.5.2.3: the given
 * sub-attributes replace or are added, "Sub-attributes that are not specified in the value
 * parameter are left unchanged"; §3.5.2.1 add does the same. So add and replace both merge.
 */
function complexOperation(kind: PatchOperation['op'], { holder, path, label, value }: Target): void {
  const name = path.attribute.name;
  const current = isPlainObject(holder[name]) ? (holder[name] as Json) : undefined;
  if (kind === 'remove') {
    if (current) for (const [key, v] of Object.entries(current)) assertMutable(subDef(path.attribute, key), v, undefined, label, key);
    delete holder[name];
    return;
  }
  holder[name] = current ?? {};
  mergeElement(path.attribute, holder[name] as Json, value as Json, label);
}

// `name.givenName`: a sub-attribute of a single-valued complex attribute.
function subAttributeOperation(kind: PatchOperation['op'], { holder, path, label, value }: Target): void {
  const name = path.attribute.name;
  const sub = path.subAttribute!;
  const parent = isPlainObject(holder[name]) ? (holder[name] as Json) : undefined;
  if (kind === 'remove') {
    if (!parent) return;
    assertMutable(sub, parent[sub.name], undefined, label);
    delete parent[sub.name];
    return;
  }
  const into = parent ?? (holder[name] = {} as Json);
  assertMutable(sub, into[sub.name], value, label);
  into[sub.name] = value;
}

/**
 * A multi-valued attribute without filter (`emails`, `members`).
 * - add (§3.5.2.1): values are appended; a value already present (same `value` sub-attribute, or
 *   equal) is not added twice: its given sub-attributes are merged into the present one.
 * - replace (§3.5.2.3): "the attribute and all values are replaced".
 * - remove (§3.5.2.2): all values; with a value list (Entra), only the listed ones.
 */
function listOperation(kind: PatchOperation['op'], { holder, path, label, value, indexes }: Target): void {
  const { attribute } = path;
  const current = Array.isArray(holder[attribute.name]) ? (holder[attribute.name] as unknown[]) : [];
  const given = (value ?? []) as unknown[];
  if (kind === 'add') {
    const index = indexes.of(attribute, current);
    const touched: unknown[] = [];
    for (const element of given) {
      const key = valueKey(attribute, element);
      const same = index.get(key)?.[0];
      if (same === undefined) {
        // Values taken into the resource are copies: later operations merge into them in place.
        const copy = copyJson(element);
        current.push(copy);
        index.set(key, [copy]);
      } else if (isPlainObject(same)) mergeElement(attribute, same, element as Json, label);
      touched.push(same ?? current[current.length - 1]);
    }
    holder[attribute.name] = current;
    onePrimary(attribute, current, touched, label);
  } else if (kind === 'replace') {
    assertMutable(attribute, current.length ? current : undefined, given, label);
    holder[attribute.name] = copyJson(given);
  } else if (value !== undefined) {
    const index = indexes.of(attribute, current);
    const gone = new Set<unknown>();
    for (const listed of given) {
      const key = valueKey(attribute, listed);
      for (const e of index.get(key) ?? []) gone.add(e);
      index.delete(key);
    }
    if (gone.size === 0) return;
    const kept = current.filter((e) => !gone.has(e));
    indexes.move(current, kept);
    holder[attribute.name] = kept;
  } else {
    assertMutable(attribute, current.length ? current : undefined, undefined, label);
    delete holder[attribute.name];
  }
}

/**
 * Elements selected by a value filter (`emails[type eq "work"]`, optionally `.value`), or every
 * element for `emails.value` without a filter.
 * - add: sets the sub-attribute (or merges the value) on each match; with no match, Entra's
 *   shape creates the element the filter describes (quirks/entra.ts seedFromValueFilter).
 * - replace (§3.5.2.3): each match's sub-attribute, or each whole match, is replaced; no match is
 *   400 noTarget.
 * - remove (§3.5.2.2): the matches (or their sub-attribute) are removed; no match is a no-op, so a
 *   retried removal succeeds.
 */
function elementsOperation(kind: PatchOperation['op'], target: Target): void {
  const { holder, path } = target;
  const { attribute, filter } = path;
  const elements = (Array.isArray(holder[attribute.name]) ? holder[attribute.name] : []) as Json[];
  // Values are changed in place or dropped here: their keys may change.
  target.indexes.forget(elements);
  const matched = filter ? matchingValues(filter, attribute, elements) : elements.slice();
  holder[attribute.name] = elements;
  if (kind === 'remove') removeFromElements(target, elements, matched);
  else if (matched.length > 0) onePrimary(attribute, elements, writeElements(kind, target, elements, matched), target.label);
  else if (kind === 'add') addSeededElement(target, elements);
  else throw badRequest(`No value of '${attribute.name}' matches the path '${path.text}'`, 'noTarget'); // §3.5.2.3
}

function removeFromElements({ holder, path, label }: Target, elements: Json[], matched: Json[]): void {
  const sub = path.subAttribute;
  if (!sub) {
    const gone = new Set(matched);
    holder[path.attribute.name] = elements.filter((e) => !gone.has(e));
    return;
  }
  for (const e of matched) {
    assertMutable(sub, e[sub.name], undefined, label);
    delete e[sub.name];
  }
}

/** Sets the sub-attribute, merges (add) or replaces (replace) each match; returns the elements written. */
function writeElements(kind: PatchOperation['op'], { path, label, value }: Target, elements: Json[], matched: Json[]): Json[] {
  const { attribute, subAttribute: sub } = path;
  if (!sub && kind === 'replace') return replaceElements(attribute, elements, matched, value as Json, label);
  for (const e of matched) {
    if (!sub) mergeElement(attribute, e, value as Json, label);
    else {
      assertMutable(sub, e[sub.name], value, label);
      e[sub.name] = value;
    }
  }
  return matched;
}

/** Add with no match: the element the filter describes (Entra, quirks/entra.ts), else noTarget. */
function addSeededElement({ path, label, value }: Target, elements: Json[]): void {
  const { attribute, subAttribute: sub, filter } = path;
  const seed = filter ? seedFromValueFilter(filter) : {};
  if (!seed) throw badRequest(`No value of '${attribute.name}' matches the path '${path.text}', and the filter does not describe one to add`, 'noTarget');
  const element = { ...writableOnly(attribute, seed), ...(sub ? { [sub.name]: value } : (value as Json)) };
  elements.push(element);
  onePrimary(attribute, elements, [element], label);
}

// RFC 7644 §3.5.2.3: "all matching record values SHALL be replaced" by the given value.
function replaceElements(attribute: AttributeDef, elements: Json[], matched: Json[], value: Json, label: string): Json[] {
  const replacements = new Map<Json, Json>();
  for (const old of matched) {
    for (const sub of attribute.subAttributes ?? []) assertMutable(sub, old[sub.name], value[sub.name], label, sub.name);
    replacements.set(old, copyJson(value));
  }
  for (const [i, e] of elements.entries()) elements[i] = replacements.get(e) ?? e;
  return [...replacements.values()];
}

function subDef(attribute: AttributeDef, name: string): AttributeDef | undefined {
  return attribute.subAttributes?.find((s) => s.name === name);
}

/** Sets each given sub-attribute on `target` (canonical keys, checked by the parser). */
function mergeElement(attribute: AttributeDef, target: Json, value: Json, label: string): void {
  for (const key of Object.keys(value)) {
    const v = value[key];
    assertMutable(subDef(attribute, key), target[key], v, label, key);
    target[key] = v;
  }
}

/** A filter's comparisons may name readOnly sub-attributes; a created element does not get them. */
function writableOnly(attribute: AttributeDef, seed: Json): Json {
  return Object.fromEntries(Object.entries(seed).filter(([key]) => subDef(attribute, key)?.mutability !== 'readOnly'));
}

/**
 * RFC 7643 §2.4: "The primary attribute value "true" MUST appear no more than once." When an
 * operation makes one element primary, the others lose it; two made primary at once is invalidValue.
 */
function onePrimary(attribute: AttributeDef, elements: unknown[], touched: unknown[], label: string): void {
  if (!attribute.subAttributes?.some((s) => s.name === 'primary')) return;
  const chosen = touched.filter((e) => isPlainObject(e) && e.primary === true);
  if (chosen.length > 1) throw badRequest(`Only one value of '${label}' may be primary`, 'invalidValue');
  if (chosen.length === 0) return;
  for (const e of elements) if (e !== chosen[0] && isPlainObject(e) && e.primary === true) e.primary = false;
}
