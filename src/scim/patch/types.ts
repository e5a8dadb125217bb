import type { Filter } from 'scim2-parse-filter';
import type { ResolvedPath } from '../schema-types.ts';

// RFC 7644 §3.5.2: the three operations of a PatchOp message.
export type PatchOpName = 'add' | 'replace' | 'remove';

// A resource as the domain holds it: canonical names, extensions under their URN, no id/meta/schemas.
export type { CanonicalResource } from '../resource-input.ts';

/**
 * A PATCH path resolved against the schema registry. RFC 7644 §3.5.2 (ABNF):
 * `PATH = attrPath / valuePath [subAttr]`. Names are canonical.
 * - `name.givenName`: attribute `name`, subAttribute `givenName`, no filter.
 * - `emails[type eq "work"].value`: attribute `emails`, filter `type eq "work"`, subAttribute `value`.
 */
export interface PatchPath extends ResolvedPath {
  /** The value filter of a valuePath; its attribute names are canonical sub-attribute names. */
  filter?: Filter;
  /** The path as the client wrote it (or the key of a path-less value), for error details. */
  text: string;
}

/**
 * One operation, parsed and type-checked. Operations without `path` are expanded by the parser
 * into one operation per attribute of their value (RFC 7644 §3.5.2.1/§3.5.2.3: the value "contains
 * a set of attributes"), so `path` is always set here.
 *
 * `value` is already coerced to the attribute's type with canonical keys:
 * - multi-valued attribute without filter or sub-attribute: an array of elements;
 * - complex attribute or filtered element: an object;
 * - sub-attribute or simple attribute: a scalar;
 * - `null` for add/replace means "unassigned" (RFC 7643 §2.5);
 * - `remove` carries a value only as an array of elements to remove (Entra, see quirks/entra.ts).
 */
export interface PatchOperation {
  op: PatchOpName;
  path: PatchPath;
  value?: unknown;
}
