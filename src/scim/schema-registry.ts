import { readSchemaFile } from './schema-files.ts';
import type { AttributeDef, ResolvedPath, ResourceTypeDef, ResourceTypeName, SchemaDef } from './schema-types.ts';

export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const IDM_USER = 'urn:identity-manager:params:scim:schemas:extension:2.0:User';
export const IDM_GROUP = 'urn:identity-manager:params:scim:schemas:extension:2.0:Group';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

const SCHEMA_FILES = ['user.json', 'enterprise-user.json', 'identity-manager-user.json', 'group.json', 'identity-manager-group.json'];

/** Everything a resource type is made of, with lookups by lower-cased name (RFC 7643 §2.1: names are case-insensitive). */
export interface ResourceModel {
  type: ResourceTypeDef;
  core: SchemaDef;
  extensions: SchemaDef[];
  /** Every schema URN a resource of this type may list in `schemas`. */
  schemaIds: string[];
  /** Common attributes (id, externalId, meta) and core attributes, by lower-cased name. */
  coreAttributes: Map<string, AttributeDef>;
  /** Extension URN (lower-cased) → its attributes by lower-cased name. */
  extensionAttributes: Map<string, { schema: SchemaDef; attributes: Map<string, AttributeDef> }>;
}

function byLowerName(attributes: AttributeDef[]): Map<string, AttributeDef> {
  return new Map(attributes.map((a) => [a.name.toLowerCase(), a]));
}

/**
 * The one registry built from schemas/*.json: discovery documents, attribute characteristics and
 * path resolution all come from here, so there is no second list of attributes to keep in step.
 */
export class SchemaRegistry {
  readonly schemas: SchemaDef[];
  readonly resourceTypes: ResourceTypeDef[];
  readonly commonAttributes: AttributeDef[];
  readonly serviceProviderConfig: Record<string, unknown>;
  private readonly models = new Map<ResourceTypeName, ResourceModel>();
  private readonly schemaDocuments: Record<string, unknown>[];
  private readonly resourceTypeDocuments: Record<string, unknown>[];

  constructor() {
    this.schemaDocuments = SCHEMA_FILES.map((f) => readSchemaFile(f));
    this.schemas = this.schemaDocuments as unknown as SchemaDef[];
    this.resourceTypeDocuments = readSchemaFile<Record<string, unknown>[]>('resource-types.json');
    this.resourceTypes = this.resourceTypeDocuments as unknown as ResourceTypeDef[];
    this.commonAttributes = readSchemaFile<{ attributes: AttributeDef[] }>('common-attributes.json').attributes;
    this.serviceProviderConfig = readSchemaFile('service-provider-config.json');
    for (const type of this.resourceTypes) {
      const core = this.schema(type.schema);
      const extensions = type.schemaExtensions.map((e) => this.schema(e.schema));
      this.models.set(type.name as ResourceTypeName, {
        type,
        core,
        extensions,
        schemaIds: [core.id, ...extensions.map((e) => e.id)],
        coreAttributes: byLowerName([...this.commonAttributes, ...core.attributes]),
        extensionAttributes: new Map(extensions.map((s) => [s.id.toLowerCase(), { schema: s, attributes: byLowerName(s.attributes) }])),
      });
    }
  }

  schema(id: string): SchemaDef {
    const found = this.schemas.find((s) => s.id.toLowerCase() === id.toLowerCase());
    if (!found) throw new Error(`schemas/ has no schema ${id}`);
    return found;
  }

  model(type: ResourceTypeName): ResourceModel {
    return this.models.get(type)!;
  }

  /** /Schemas documents, as stored in schemas/ (RFC 7643 §7). */
  schemaResources(): Record<string, unknown>[] {
    return this.schemaDocuments;
  }

  schemaResource(id: string): Record<string, unknown> | undefined {
    return this.schemaDocuments.find((s) => String(s.id).toLowerCase() === id.toLowerCase());
  }

  resourceTypeResources(): Record<string, unknown>[] {
    return this.resourceTypeDocuments;
  }

  /**
   * Resolves an attribute path (RFC 7644 §3.10): `userName`, `name.givenName`, `meta.created`,
   * a URN-qualified core attribute `urn:…:core:2.0:User:userName`, or an extension attribute by
   * its full URN `urn:…:enterprise:2.0:User:manager.value`. Undefined when it names nothing.
   */
  resolve(type: ResourceTypeName, path: string): ResolvedPath | undefined {
    const model = this.model(type);
    let schemaId = model.core.id;
    let rest = path;
    let inExtension = false;
    if (/^urn:/i.test(path)) {
      const prefix = this.schemaPrefix(model, path);
      if (!prefix) return undefined;
      schemaId = prefix.schema;
      inExtension = prefix.schema !== model.core.id;
      rest = path.slice(prefix.length + 1);
      if (rest === '') return undefined;
    }
    const [name, sub, ...extra] = rest.split('.');
    if (extra.length) return undefined;
    const attributes = inExtension ? model.extensionAttributes.get(schemaId.toLowerCase())!.attributes : model.coreAttributes;
    const attribute = attributes.get(name.toLowerCase());
    if (!attribute) return undefined;
    if (sub === undefined) return { schema: schemaId, inExtension, attribute };
    const subAttribute = attribute.subAttributes?.find((a) => a.name.toLowerCase() === sub.toLowerCase());
    if (!subAttribute) return undefined;
    return { schema: schemaId, inExtension, attribute, subAttribute };
  }

  /** For a path or key starting with a schema URN: which schema, and how long the URN is. */
  schemaPrefix(model: ResourceModel, text: string): { schema: string; length: number } | undefined {
    const lower = text.toLowerCase();
    // Longest first: the enterprise extension's URN begins with the core User URN's prefix.
    const candidates = [...model.schemaIds].sort((a, b) => b.length - a.length);
    for (const id of candidates) {
      const l = id.toLowerCase();
      if (lower === l) return { schema: id, length: id.length };
      if (lower.startsWith(`${l}:`)) return { schema: id, length: id.length };
    }
    return undefined;
  }

  /** Whether a top-level key of a resource body is an extension URN of this type. */
  extensionSchema(type: ResourceTypeName, key: string): SchemaDef | undefined {
    return this.model(type).extensionAttributes.get(key.toLowerCase())?.schema;
  }
}

let shared: SchemaRegistry | undefined;
/** The registry is read once per process: the files do not change while it runs. */
export function schemaRegistry(): SchemaRegistry {
  return (shared ??= new SchemaRegistry());
}
