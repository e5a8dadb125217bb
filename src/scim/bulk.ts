import { BULK_REQUEST } from './schema-registry.ts';
import { badRequest, ScimError } from './scim-error.ts';
import { isObject } from './resource-input.ts';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface BulkOperation {
  index: number;
  method: BulkMethod;
  bulkId?: string;
  version?: string;
  path: string;
  data?: unknown;
}

export interface BulkRequest {
  failOnErrors?: number;
  operations: BulkOperation[];
}

const METHODS: BulkMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

/** RFC 7644 §3.7: parses a BulkRequest, enforcing maxOperations (413 beyond it, §3.7.4). */
export function parseBulkRequest(body: unknown, maxOperations: number): BulkRequest {
  if (!isObject(body)) throw badRequest('the body must be a JSON object', 'invalidSyntax');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === BULK_REQUEST.toLowerCase())) {
    throw badRequest(`"schemas" must include ${BULK_REQUEST}`, 'invalidSyntax');
  }
  let failOnErrors: number | undefined;
  if (body.failOnErrors !== undefined && body.failOnErrors !== null) {
    if (typeof body.failOnErrors !== 'number' || !Number.isInteger(body.failOnErrors) || body.failOnErrors < 1) {
      throw badRequest('failOnErrors must be a positive integer', 'invalidValue');
    }
    failOnErrors = body.failOnErrors;
  }
  const operations = body.Operations;
  if (!Array.isArray(operations) || operations.length === 0) throw badRequest('"Operations" must be a non-empty array', 'invalidSyntax');
  if (operations.length > maxOperations) {
    throw new ScimError(413, `a bulk request may hold at most ${maxOperations} operations; this one has ${operations.length}`);
  }
  const seen = new Set<string>();
  return {
    failOnErrors,
    operations: operations.map((raw, index) => {
      const where = `Operations[${index}]`;
      if (!isObject(raw)) throw badRequest(`${where} must be an object`, 'invalidSyntax');
      const method = typeof raw.method === 'string' ? (raw.method.toUpperCase() as BulkMethod) : undefined;
      if (!method || !METHODS.includes(method)) throw badRequest(`${where}.method must be POST, PUT, PATCH or DELETE`, 'invalidSyntax');
      if (typeof raw.path !== 'string' || !raw.path.startsWith('/')) throw badRequest(`${where}.path must be a resource path such as /Users`, 'invalidSyntax');
      if (raw.bulkId !== undefined && (typeof raw.bulkId !== 'string' || raw.bulkId === '')) throw badRequest(`${where}.bulkId must be a non-empty string`, 'invalidSyntax');
      if (method === 'POST' && raw.bulkId === undefined) throw badRequest(`${where}.bulkId is required for POST`, 'invalidSyntax');
      if (typeof raw.bulkId === 'string') {
        if (seen.has(raw.bulkId)) throw badRequest(`bulkId "${raw.bulkId}" is used twice`, 'invalidSyntax');
        seen.add(raw.bulkId);
      }
      if (method !== 'DELETE' && raw.data === undefined) throw badRequest(`${where}.data is required for ${method}`, 'invalidSyntax');
      if (raw.version !== undefined && typeof raw.version !== 'string') throw badRequest(`${where}.version must be a string`, 'invalidSyntax');
      return { index, method, bulkId: raw.bulkId as string | undefined, version: raw.version as string | undefined, path: raw.path, data: raw.data };
    }),
  };
}

const REFERENCE = /^bulkId:(.+)$/;

/** The bulkIds an operation refers to, in its path and anywhere in its data (RFC 7644 §3.7.2). */
export function referencesOf(op: BulkOperation): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown) => {
    if (typeof value === 'string') {
      const match = REFERENCE.exec(value);
      if (match) found.add(match[1]);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) Object.values(value).forEach(visit);
  };
  for (const segment of op.path.split('/')) visit(segment);
  visit(op.data);
  return found;
}

/** Replaces every `bulkId:x` by the id the operation with bulkId x created. */
export function resolveReferences<T>(value: T, ids: Map<string, string>): T {
  const replace = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const match = REFERENCE.exec(v);
      return match && ids.has(match[1]) ? ids.get(match[1]) : v;
    }
    if (Array.isArray(v)) return v.map(replace);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replace(x)]));
    return v;
  };
  return replace(value) as T;
}

export function resolvePath(path: string, ids: Map<string, string>): string {
  return path.split('/').map((segment) => resolveReferences(segment, ids)).join('/');
}
