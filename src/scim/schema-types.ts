// RFC 7643 §2.2–§2.4 and §7: the characteristics every attribute carries.
export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface AttributeDef {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description?: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: Uniqueness;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDef[];
}

export interface SchemaDef {
  id: string;
  name: string;
  description?: string;
  attributes: AttributeDef[];
}

export interface ResourceTypeDef {
  id: string;
  name: string;
  endpoint: string;
  description?: string;
  schema: string;
  schemaExtensions: { schema: string; required: boolean }[];
}

export type ResourceTypeName = 'User' | 'Group';

/**
 * An attribute path resolved against the registry: `schema` is the URN the attribute belongs to,
 * `attribute` the top-level attribute, `subAttribute` set for `a.b` paths. Names are canonical.
 */
export interface ResolvedPath {
  schema: string;
  /** True for attributes of a schema extension, which live under the extension's URN key. */
  inExtension: boolean;
  attribute: AttributeDef;
  subAttribute?: AttributeDef;
}

/** The attribute a path finally designates (the sub-attribute when there is one). */
export function leafOf(path: ResolvedPath): AttributeDef {
  return path.subAttribute ?? path.attribute;
}

/** Canonical dotted text of a path, with the URN for extension attributes: used as a map key. */
export function pathKey(path: ResolvedPath): string {
  const base = path.inExtension ? `${path.schema}:${path.attribute.name}` : path.attribute.name;
  return path.subAttribute ? `${base}.${path.subAttribute.name}` : base;
}
