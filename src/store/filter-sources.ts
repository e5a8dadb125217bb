import { IDM_GROUP, IDM_USER } from '../scim/schema-registry.ts';
import { pathKey, type AttributeDef, type ResolvedPath, type ResourceTypeName } from '../scim/schema-types.ts';
import { badRequest } from '../scim/scim-error.ts';
import { join, raw, sql, type SqlFragment } from './sql-fragment.ts';
import { FILE_OR_FORM_FORMS, FORM_ONLY_FORMS } from '../model/catalog.ts';

// Where each SCIM attribute lives in the database: the one place that knows the storage layout of
// Users and Groups for filtering and sorting (SPEC §5.1). Aliases of subqueries start with scim_ so
// they cannot shadow the caller's table alias.

/** How a single value is compared: text (with caseExact), uuid, boolean, number or timestamptz. */
export type ScalarForm = 'text' | 'uuid' | 'boolean' | 'number' | 'time';

/** One value per resource (or per element of a multi-valued attribute). */
export interface Scalar {
  expr: SqlFragment;
  form: ScalarForm;
  caseExact: boolean;
  /** False when the expression can never be NULL, so comparisons need no guard (and use indexes). */
  nullable: boolean;
}

/** The elements of a multi-valued attribute: `from` and a correlated `where`, and their values. */
export interface ElementSet {
  from: SqlFragment;
  where: SqlFragment;
  /** The value of a sub-attribute of an element, or of the element itself for simple values. */
  value(sub: AttributeDef | undefined): Scalar;
  /** Orders stored elements for "the primary value, else the first" (RFC 7644 §3.4.2.3); derived sets have no order. */
  order?: SqlFragment;
}

/** What a path designates: a value, a single complex value, or the values of a multi-valued attribute. */
export type Target =
  | { kind: 'scalar'; scalar: Scalar }
  | { kind: 'object'; present: SqlFragment; field(sub: AttributeDef): Scalar }
  | { kind: 'many'; set: ElementSet; sub: AttributeDef | undefined };

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/i;

export function checkAlias(alias: string): string {
  if (!IDENTIFIER.test(alias)) throw new Error(`not a table alias: ${alias}`);
  return alias;
}

const notFilterable = (path: ResolvedPath) => badRequest(`"${pathKey(path)}" cannot be used in a filter`, 'invalidFilter');

function column(alias: string, name: string, form: ScalarForm, attribute: AttributeDef, nullable = false): Scalar {
  return { expr: raw(`${alias}.${name}`), form, caseExact: attribute.caseExact, nullable };
}

function constant(value: string | null, attribute: AttributeDef): Scalar {
  return { expr: sql`${value}::text`, form: 'text', caseExact: attribute.caseExact, nullable: value === null };
}

// ---- JSON (users.data) ------------------------------------------------------------------------

const jsonKey = (base: SqlFragment, key: string) => sql`(${base} -> ${key}::text)`;

/** A typed value read from `base -> key`; the guards keep a stray JSON type from failing a cast. */
function jsonScalar(base: SqlFragment, key: string, attribute: AttributeDef): Scalar {
  const field = jsonKey(base, key);
  const text = sql`(${base} ->> ${key}::text)`;
  return jsonValue(field, text, attribute);
}

function jsonValue(field: SqlFragment, text: SqlFragment, attribute: AttributeDef): Scalar {
  const typed = (jsonType: string, cast: string) =>
    sql`(case when jsonb_typeof(${field}) = ${raw(`'${jsonType}'`)} then ${text}::${raw(cast)} end)`;
  const scalar = (expr: SqlFragment, form: ScalarForm): Scalar => ({ expr, form, caseExact: attribute.caseExact, nullable: true });
  switch (attribute.type) {
    case 'boolean':
      return scalar(typed('boolean', 'boolean'), 'boolean');
    case 'integer':
    case 'decimal':
      return scalar(typed('number', 'numeric'), 'number');
    case 'dateTime':
      return scalar(typed('string', 'timestamptz'), 'time');
    default:
      return scalar(text, 'text');
  }
}

/** A multi-valued attribute stored as a JSON array; anything else reads as no elements. */
function jsonElements(array: SqlFragment, attribute: AttributeDef): ElementSet {
  return {
    from: sql`jsonb_array_elements(case when jsonb_typeof(${array}) = 'array' then ${array} else '[]'::jsonb end) with ordinality as scim_e(v, n)`,
    where: raw('true'),
    value: (sub) => (sub ? jsonScalar(raw('scim_e.v'), sub.name, sub) : jsonValue(raw('scim_e.v'), raw(`(scim_e.v #>> '{}')`), attribute)),
    order: raw(`(case when scim_e.v -> 'primary' = 'true'::jsonb then 0 else 1 end), scim_e.n`),
  };
}

/** Core and enterprise attributes the client wrote, kept in `data` under canonical names (extensions under their URN). */
function jsonTarget(alias: string, path: ResolvedPath): Target {
  const data = raw(`${alias}.data`);
  const base = path.inExtension ? jsonKey(data, path.schema) : data;
  const { attribute, subAttribute } = path;
  const value = jsonKey(base, attribute.name);
  if (attribute.multiValued) return { kind: 'many', set: jsonElements(value, attribute), sub: subAttribute };
  if (attribute.type !== 'complex') return { kind: 'scalar', scalar: jsonScalar(base, attribute.name, attribute) };
  if (subAttribute) return { kind: 'scalar', scalar: jsonScalar(value, subAttribute.name, subAttribute) };
  return {
    kind: 'object',
    present: sql`(jsonb_typeof(${value}) = 'object' and ${value} <> '{}'::jsonb)`,
    field: (sub) => jsonScalar(value, sub.name, sub),
  };
}

// ---- derived and column-backed attributes ----------------------------------------------------

/** meta is always present; created and lastModified are columns, resourceType a constant. */
function metaTarget(alias: string, type: ResourceTypeName, path: ResolvedPath): Target {
  const field = (sub: AttributeDef): Scalar => {
    if (sub.name === 'created') return column(alias, 'created_at', 'time', sub);
    if (sub.name === 'lastModified') return column(alias, 'modified_at', 'time', sub);
    if (sub.name === 'resourceType') return constant(type, sub);
    throw notFilterable({ ...path, subAttribute: sub });
  };
  if (path.subAttribute) return { kind: 'scalar', scalar: field(path.subAttribute) };
  return { kind: 'object', present: raw('true'), field };
}

/** The groups a user is a member of, correlated on the tenant as well as the user. */
function membershipGroups(alias: string, valueOf: (sub: AttributeDef | undefined) => Scalar): ElementSet {
  return {
    from: raw('memberships scim_m join groups scim_g on scim_g.org_id = scim_m.org_id and scim_g.id = scim_m.group_id'),
    where: raw(`scim_m.org_id = ${alias}.org_id and scim_m.user_id = ${alias}.id`),
    value: valueOf,
  };
}

function userGroupsSet(alias: string, path: ResolvedPath): ElementSet {
  return membershipGroups(alias, (sub) => {
    if (sub?.name === 'value') return column('scim_m', 'group_id', 'uuid', sub);
    if (sub?.name === 'display') return column('scim_g', 'display_name', 'text', sub);
    if (sub?.name === 'type') return constant('direct', sub);
    throw notFilterable({ ...path, subAttribute: sub });
  });
}

function servicesSet(alias: string, path: ResolvedPath): ElementSet {
  return membershipGroups(alias, () => column('scim_g', 'service_code', 'text', path.attribute));
}

function membersSet(alias: string, path: ResolvedPath): ElementSet {
  return {
    from: raw('memberships scim_m'),
    where: raw(`scim_m.org_id = ${alias}.org_id and scim_m.group_id = ${alias}.id`),
    value: (sub) => {
      if (sub?.name === 'value') return column('scim_m', 'user_id', 'uuid', sub);
      if (sub?.name === 'type') return constant('User', sub);
      throw notFilterable({ ...path, subAttribute: sub });
    },
  };
}

/** An attribute of the organisation the resource belongs to: one row, reached by the tenant key. */
function organisationColumn(alias: string, name: string, attribute: AttributeDef, nullable: boolean): Scalar {
  return {
    expr: raw(`(select scim_o.${name} from organisations scim_o where scim_o.id = ${alias}.org_id)`),
    form: 'text',
    caseExact: attribute.caseExact,
    nullable,
  };
}

// SPEC §3.2 in SQL, the same rule as isFormOnlySchool and read from the same lists (model/catalog.ts),
// every element bound: form-only when the schoolForm is one of FORM_ONLY_FORMS, or one of
// FILE_OR_FORM_FORMS without reporting via file; a service granted by declaration is always form-only.
const valueList = (values: readonly string[]): SqlFragment => join(values.map((v) => sql`${v}`), ', ');

function formOnly(alias: string, attribute: AttributeDef): Scalar {
  const expr = sql`(select case scim_s.granted_by
      when 'declaration' then true
      when 'form_rule' then coalesce(scim_o.school_form in (${valueList(FORM_ONLY_FORMS)})
        or (scim_o.school_form in (${valueList(FILE_OR_FORM_FORMS)}) and not scim_o.reports_via_file), false)
      else false end
    from services scim_s join organisations scim_o on scim_o.id = ${raw(alias)}.org_id
    where scim_s.code = ${raw(alias)}.service_code)`;
  return { expr, form: 'boolean', caseExact: attribute.caseExact, nullable: true };
}

function serviceDescription(alias: string, attribute: AttributeDef): Scalar {
  const expr = raw(`(select scim_s.description from services scim_s where scim_s.code = ${alias}.service_code)`);
  return { expr, form: 'text', caseExact: attribute.caseExact, nullable: true };
}

function userTarget(alias: string, path: ResolvedPath): Target {
  const { attribute } = path;
  const scalar = (s: Scalar): Target => ({ kind: 'scalar', scalar: s });
  if (path.schema === IDM_USER) {
    switch (attribute.name) {
      case 'organisationId': return scalar(column(alias, 'org_id', 'uuid', attribute));
      case 'organisationName': return scalar(organisationColumn(alias, 'name', attribute, false));
      case 'organisationType': return scalar(organisationColumn(alias, 'type', attribute, false));
      case 'schoolForm': return scalar(organisationColumn(alias, 'school_form', attribute, true));
      case 'credentialStatus': return scalar(column(alias, 'credential_status', 'text', attribute));
      case 'services': return { kind: 'many', set: servicesSet(alias, path), sub: undefined };
    }
    throw notFilterable(path);
  }
  if (path.inExtension) return jsonTarget(alias, path);
  switch (attribute.name) {
    case 'id': return scalar(column(alias, 'id', 'uuid', attribute));
    case 'userName': return scalar(column(alias, 'user_name', 'text', attribute));
    case 'externalId': return scalar(column(alias, 'external_id', 'text', attribute, true));
    case 'active': return scalar(column(alias, 'active', 'boolean', attribute));
    case 'meta': return metaTarget(alias, 'User', path);
    case 'groups': return { kind: 'many', set: userGroupsSet(alias, path), sub: path.subAttribute };
  }
  return jsonTarget(alias, path);
}

function groupTarget(alias: string, path: ResolvedPath): Target {
  const { attribute } = path;
  const scalar = (s: Scalar): Target => ({ kind: 'scalar', scalar: s });
  if (path.schema === IDM_GROUP) {
    switch (attribute.name) {
      case 'serviceCode': return scalar(column(alias, 'service_code', 'text', attribute));
      case 'description': return scalar(serviceDescription(alias, attribute));
      case 'formOnly': return scalar(formOnly(alias, attribute));
    }
    throw notFilterable(path);
  }
  switch (attribute.name) {
    case 'id': return scalar(column(alias, 'id', 'uuid', attribute));
    case 'displayName': return scalar(column(alias, 'display_name', 'text', attribute));
    // Groups come from the service catalog and carry no externalId: it is always unassigned.
    case 'externalId': return scalar(constant(null, attribute));
    case 'meta': return metaTarget(alias, 'Group', path);
    case 'members': return { kind: 'many', set: membersSet(alias, path), sub: path.subAttribute };
  }
  throw notFilterable(path);
}

/** Where the attribute a resolved path names is stored, for a resource row aliased `alias`. */
export function targetOf(type: ResourceTypeName, alias: string, path: ResolvedPath): Target {
  return type === 'User' ? userTarget(alias, path) : groupTarget(alias, path);
}
