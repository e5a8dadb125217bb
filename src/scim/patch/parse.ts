// RFC 7644 §3.5.2: a PatchOp message → typed operations, or a ScimError. Everything that can be
// checked without the stored resource is checked here: message shape, op names, paths, readOnly
// targets, value types. Immutability and noTarget need the resource and are left to apply.ts.
import { badRequest } from '../scim-error.ts';
import { PATCH_OP, schemaRegistry } from '../schema-registry.ts';
import { pathKey, type ResourceTypeName } from '../schema-types.ts';
import { patchOpName, pathlessEntries, removesListedValues, resourceIdentityKey } from '../quirks/index.ts';
import { MAX_PATCH_FILTER_COMPARISONS, MAX_PATCH_OPERATIONS } from '../bounds.ts';
import { parsePatchPath } from './path.ts';
import type { PatchOpName, PatchOperation, PatchPath } from './types.ts';
import { coerceAttributeValue, coerceComplex, coerceElements, coerceSimple, isPlainObject } from './values.ts';
import { comparisonsIn } from './value-filter.ts';

/**
 * Parses a PATCH body for a resource type. Operations without `path` are expanded into one
 * operation per attribute of their value, so every returned operation has a path; the order of
 * the request is kept (RFC 7644 §3.5.2: operations are applied in sequence). `resourceId` is the
 * id of the resource the request is sent to: a path-less value may repeat it (Okta), never change it.
 */
export function parsePatchRequest(type: ResourceTypeName, body: unknown, resourceId?: string): PatchOperation[] {
  const request: RequestContext = { type, resourceId, bounds: new RequestBounds(), paths: new Map() };
  const parsed: PatchOperation[] = [];
  for (const [index, raw] of operationsOf(body).entries()) parsed.push(...parseOperation(request, raw, index));
  return parsed;
}

interface RequestContext {
  type: ResourceTypeName;
  resourceId: string | undefined;
  bounds: RequestBounds;
  /** Paths already resolved in this request: clients repeat them (`emails`, `members`) op after op. */
  paths: Map<string, PatchPath>;
}

function pathOf(request: RequestContext, text: string): PatchPath {
  let path = request.paths.get(text);
  if (!path) request.paths.set(text, (path = parsePatchPath(request.type, text)));
  return path;
}

/**
 * SPEC §5.4: what one PATCH may hold, counted while it is parsed so that an oversized request is
 * refused before the work it would cause. An attribute of a path-less value is an operation of its
 * own (RFC 7644 §3.5.2.1: each is handled as if it were the target). The path filters of one
 * request are bounded together as well as one by one: each is evaluated over every value of its
 * attribute, so 1,000 filters of 50 comparisons over 100 values would be five million comparisons.
 */
class RequestBounds {
  private operations = 0;
  private comparisons = 0;

  count(path: PatchPath): void {
    if (++this.operations > MAX_PATCH_OPERATIONS) {
      throw badRequest(`A PATCH request may hold at most ${MAX_PATCH_OPERATIONS} operations (an attribute of a value without path counts as one)`, 'invalidValue');
    }
    if (path.filter && (this.comparisons += comparisonsIn(path.filter)) > MAX_PATCH_FILTER_COMPARISONS) {
      throw badRequest(`The path filters of one PATCH request may hold at most ${MAX_PATCH_FILTER_COMPARISONS} comparisons together`, 'invalidFilter');
    }
  }
}

/** Reads a member of a message object; RFC 7643 §2.1: attribute names are case-insensitive. */
function member(object: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const key = Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : object[key];
}

function operationsOf(body: unknown): unknown[] {
  if (!isPlainObject(body)) throw badRequest('A PATCH body must be a JSON object', 'invalidSyntax');
  const schemas = member(body, 'schemas');
  const isPatchOp = (s: unknown) => typeof s === 'string' && s.toLowerCase() === PATCH_OP.toLowerCase();
  if (!Array.isArray(schemas) || !schemas.some(isPatchOp)) throw badRequest(`A PATCH body must list the schema ${PATCH_OP}`, 'invalidSyntax');
  const operations = member(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) throw badRequest('Operations must be a non-empty array', 'invalidSyntax');
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw badRequest(`A PATCH request may hold at most ${MAX_PATCH_OPERATIONS} operations; this one has ${operations.length}`, 'invalidValue');
  }
  return operations;
}

function parseOperation(request: RequestContext, raw: unknown, index: number): PatchOperation[] {
  const { type } = request;
  if (!isPlainObject(raw)) throw badRequest(`Operations[${index}] must be an object`, 'invalidSyntax');
  const op = patchOpName(member(raw, 'op')); // Entra: "Add", "Replace", "Remove"
  if (!op) throw badRequest(`Operations[${index}].op must be "add", "replace" or "remove"`, 'invalidSyntax');
  const path = member(raw, 'path');
  const value = member(raw, 'value');
  if (path !== undefined && path !== null && typeof path !== 'string') throw badRequest(`Operations[${index}].path must be a string`, 'invalidPath');
  if (typeof path !== 'string' || path.trim() === '') {
    // RFC 7644 §3.5.2.2: "If "path" is unspecified, the operation fails with … noTarget".
    if (op === 'remove') throw badRequest(`Operations[${index}]: remove needs a path`, 'noTarget');
    return pathlessOperations(request, op, value);
  }
  const extension = /^\s*urn:/i.test(path) ? schemaRegistry().extensionSchema(type, path.trim()) : undefined;
  if (extension) return extensionOperations(request, op, extension.id, value);
  return [operation(request, op, pathOf(request, path), value)];
}

/**
 * RFC 7644 §3.5.2.1/§3.5.2.3: without path, the value is an object of attributes to add or
 * replace, each handled as if it were the target. Keys may be paths (Entra) and the resource's
 * own id may ride along (Okta): see src/scim/quirks.
 */
function pathlessOperations(request: RequestContext, op: PatchOpName, value: unknown): PatchOperation[] {
  if (!isPlainObject(value)) throw badRequest(`${op} without path needs an object of attributes as value`, 'invalidValue');
  const operations: PatchOperation[] = [];
  for (const [key, inner] of pathlessEntries(value, schemaRegistry().model(request.type).schemaIds)) {
    const identity = resourceIdentityKey(key, inner, request.resourceId);
    if (identity === 'changes-id') throw badRequest(`Attribute 'id' is readOnly and cannot be changed`, 'mutability');
    if (identity === 'describes-resource') continue;
    operations.push(operation(request, op, pathOf(request, key), inner));
  }
  return operations;
}

/**
 * A path that is a whole extension URN (outside the RFC's ABNF, but sent by some clients): add and
 * replace read the value as the extension object; remove removes each of its attributes.
 */
function extensionOperations(request: RequestContext, op: PatchOpName, urn: string, value: unknown): PatchOperation[] {
  if (op !== 'remove') {
    if (!isPlainObject(value)) throw badRequest(`${op} of '${urn}' needs an object as value`, 'invalidValue');
    return pathlessOperations(request, op, { [urn]: value });
  }
  return schemaRegistry()
    .schema(urn)
    .attributes.map((a) => operation(request, 'remove', pathOf(request, `${urn}:${a.name}`), undefined));
}

function operation(request: RequestContext, op: PatchOpName, path: PatchPath, raw: unknown): PatchOperation {
  request.bounds.count(path);
  const label = pathKey(path);
  // RFC 7644 §3.5.2: "a client MUST NOT modify an attribute that has mutability readOnly".
  if (path.attribute.mutability === 'readOnly' || path.subAttribute?.mutability === 'readOnly') {
    throw badRequest(`Attribute '${label}' is readOnly and cannot be changed`, 'mutability');
  }
  if (op === 'remove') return { op, path, value: removeValue(path, raw, label) };
  // RFC 7644 §3.5.2.1: add "MUST contain a value member"; §3.5.2.3 likewise for replace.
  if (raw === undefined) throw badRequest(`${op} of '${label}' needs a value`, 'invalidValue');
  if (raw === null) return { op, path, value: null };
  if (path.subAttribute) return { op, path, value: coerceSimple(path.subAttribute, raw, label) };
  if (path.filter) return { op, path, value: coerceComplex(path.attribute, raw, label) };
  return { op, path, value: coerceAttributeValue(path.attribute, raw, label) };
}

/** A remove keeps its value only as a list of elements to remove (Entra, quirks/entra.ts). */
function removeValue(path: PatchPath, raw: unknown, label: string): unknown[] | undefined {
  if (path.subAttribute || path.filter || !path.attribute.multiValued || !removesListedValues(raw)) return undefined;
  return coerceElements(path.attribute, raw, label);
}
