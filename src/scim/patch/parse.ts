// RFC 7644 §3.5.2: a PatchOp message → typed operations, or a ScimError. Everything that can be
// checked without the stored resource is checked here: message shape, op names, paths, readOnly
// targets, value types. Immutability and noTarget need the resource and are left to apply.ts.
import { badRequest } from '../scim-error.ts';
import { PATCH_OP, schemaRegistry } from '../schema-registry.ts';
import { pathKey, type ResourceTypeName } from '../schema-types.ts';
import { isResourceIdentityKey, patchOpName, pathlessEntries, removesListedValues } from '../quirks/index.ts';
import { parsePatchPath } from './path.ts';
import type { PatchOpName, PatchOperation, PatchPath } from './types.ts';
import { coerceAttributeValue, coerceComplex, coerceElements, coerceSimple, isPlainObject } from './values.ts';

/** Upper bound on `Operations` in one request; more is 400 invalidValue. */
export const MAX_PATCH_OPERATIONS = 1000;

/**
 * Parses a PATCH body for a resource type. Operations without `path` are expanded into one
 * operation per attribute of their value, so every returned operation has a path; the order of
 * the request is kept (RFC 7644 §3.5.2: operations are applied in sequence).
 */
export function parsePatchRequest(type: ResourceTypeName, body: unknown): PatchOperation[] {
  return operationsOf(body).flatMap((raw, index) => parseOperation(type, raw, index));
}

/** Reads a member of a message object; RFC 7643 §2.1: attribute names are case-insensitive. */
function member(object: Record<string, unknown>, name: string): unknown {
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

function parseOperation(type: ResourceTypeName, raw: unknown, index: number): PatchOperation[] {
  if (!isPlainObject(raw)) throw badRequest(`Operations[${index}] must be an object`, 'invalidSyntax');
  const op = patchOpName(member(raw, 'op')); // Entra: "Add", "Replace", "Remove"
  if (!op) throw badRequest(`Operations[${index}].op must be "add", "replace" or "remove"`, 'invalidSyntax');
  const path = member(raw, 'path');
  const value = member(raw, 'value');
  if (path !== undefined && path !== null && typeof path !== 'string') throw badRequest(`Operations[${index}].path must be a string`, 'invalidPath');
  if (typeof path !== 'string' || path.trim() === '') {
    // RFC 7644 §3.5.2.2: "If "path" is unspecified, the operation fails with … noTarget".
    if (op === 'remove') throw badRequest(`Operations[${index}]: remove needs a path`, 'noTarget');
    return pathlessOperations(type, op, value);
  }
  const extension = schemaRegistry().extensionSchema(type, path.trim());
  if (extension) return extensionOperations(type, op, extension.id, value);
  return [operation(op, parsePatchPath(type, path), value)];
}

/**
 * RFC 7644 §3.5.2.1/§3.5.2.3: without path, the value is an object of attributes to add or
 * replace, each handled as if it were the target. Keys may be paths (Entra) and the resource's
 * own id may ride along (Okta): see src/scim/quirks.
 */
function pathlessOperations(type: ResourceTypeName, op: PatchOpName, value: unknown): PatchOperation[] {
  if (!isPlainObject(value)) throw badRequest(`${op} without path needs an object of attributes as value`, 'invalidValue');
  return pathlessEntries(value, schemaRegistry().model(type).schemaIds)
    .filter(([key]) => !isResourceIdentityKey(key))
    .map(([key, inner]) => operation(op, parsePatchPath(type, key), inner));
}

/**
 * A path that is a whole extension URN (outside the RFC's ABNF, but sent by some clients): add and
 * replace read the value as the extension object; remove removes each of its attributes.
 */
function extensionOperations(type: ResourceTypeName, op: PatchOpName, urn: string, value: unknown): PatchOperation[] {
  if (op !== 'remove') {
    if (!isPlainObject(value)) throw badRequest(`${op} of '${urn}' needs an object as value`, 'invalidValue');
    return pathlessOperations(type, op, { [urn]: value });
  }
  return schemaRegistry()
    .schema(urn)
    .attributes.map((a) => operation('remove', parsePatchPath(type, `${urn}:${a.name}`), undefined));
}

function operation(op: PatchOpName, path: PatchPath, raw: unknown): PatchOperation {
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
