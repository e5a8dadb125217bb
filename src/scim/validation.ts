import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { SchemaRegistry } from './schema-registry.ts';
import type { AttributeDef, ResourceTypeName } from './schema-types.ts';
import { badRequest } from './scim-error.ts';
import { MAX_STRING_LENGTH } from './resource-input.ts';
import { MAX_ATTRIBUTE_VALUES, tooManyValues } from './bounds.ts';

/**
 * The last gate before a resource is stored, whatever path it came by (POST, PUT, PATCH, Bulk):
 * a JSON Schema generated from schemas/*.json and compiled by ajv once per resource type. It
 * checks what the client may write — types, required attributes, lengths, no unknown names.
 * Read-only attributes are not part of it: the server derives those. A multi-valued User
 * attribute holds at most MAX_ATTRIBUTE_VALUES values (SPEC §5.4); Group members are bounded per
 * request instead, since a group may have 100,000 of them.
 */
export class ResourceValidator {
  private readonly validators = new Map<ResourceTypeName, ValidateFunction>();

  constructor(registry: SchemaRegistry) {
    const ajv = new Ajv({ allErrors: false, strict: true });
    addFormats.default(ajv, ['date-time']);
    for (const type of ['User', 'Group'] as ResourceTypeName[]) {
      const model = registry.model(type);
      const maxValues = type === 'User' ? MAX_ATTRIBUTE_VALUES : undefined;
      const properties: Record<string, unknown> = {};
      const required: string[] = [];
      for (const attribute of model.coreAttributes.values()) {
        if (attribute.mutability === 'readOnly') continue;
        properties[attribute.name] = attributeSchema(attribute, maxValues);
        if (attribute.required) required.push(attribute.name);
      }
      for (const extension of model.extensions) {
        const writable = extension.attributes.filter((a) => a.mutability !== 'readOnly');
        if (writable.length === 0) continue;
        properties[extension.id] = objectSchema(writable, maxValues);
      }
      this.validators.set(type, ajv.compile({ type: 'object', properties, required, additionalProperties: false }));
    }
  }

  /** Throws 400 invalidValue naming the first problem. */
  check(type: ResourceTypeName, resource: Record<string, unknown>): void {
    const validate = this.validators.get(type)!;
    if (validate(resource)) return;
    const error = validate.errors?.[0];
    if (error?.keyword === 'maxItems') throw tooManyValues(pathOf(error));
    throw badRequest(describe(error), 'invalidValue');
  }
}

function objectSchema(attributes: AttributeDef[], maxValues?: number): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const a of attributes) {
    if (a.mutability === 'readOnly') continue;
    properties[a.name] = attributeSchema(a, maxValues);
    if (a.required) required.push(a.name);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

function attributeSchema(attribute: AttributeDef, maxValues?: number): Record<string, unknown> {
  const single = singleSchema(attribute);
  if (!attribute.multiValued) return single;
  return maxValues === undefined ? { type: 'array', items: single } : { type: 'array', items: single, maxItems: maxValues };
}

function singleSchema(attribute: AttributeDef): Record<string, unknown> {
  switch (attribute.type) {
    case 'complex':
      // Sub-attributes such as emails.value are not required here: RFC 7643 leaves partial values to the server.
      return { ...objectSchema(attribute.subAttributes ?? []), required: [] };
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer' };
    case 'decimal':
      return { type: 'number' };
    case 'dateTime':
      return { type: 'string', format: 'date-time' };
    default:
      return { type: 'string', maxLength: MAX_STRING_LENGTH };
  }
}

function pathOf(error: ErrorObject): string {
  return error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : 'the resource';
}

function describe(error: ErrorObject | undefined): string {
  if (!error) return 'the resource is not valid';
  const where = pathOf(error);
  if (error.keyword === 'required') return `${where === 'the resource' ? '' : `${where}.`}${(error.params as { missingProperty: string }).missingProperty} is required`;
  if (error.keyword === 'additionalProperties') return `${where} has an unknown attribute "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  return `${where} ${error.message ?? 'is not valid'}`;
}

let shared: ResourceValidator | undefined;
/** Compiled once per process, from the same registry everything else uses. */
export function resourceValidator(registry: SchemaRegistry): ResourceValidator {
  return (shared ??= new ResourceValidator(registry));
}
