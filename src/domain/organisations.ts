import { invalid, notFound } from '../model/outcomes.ts';
import type { Repositories } from '../store/repositories.ts';
import type { Acting } from './tenant-request.ts';
import { normaliseOrganisationNumber } from './organisation-number.ts';
import { ORGANISATION_TYPES, SCHOOL_FORMS, type Organisation, type OrganisationChanges, type OrganisationType, type SchoolForm } from '../model/organisation.ts';

export { ORGANISATION_TYPES, SCHOOL_FORMS, type Organisation, type OrganisationChanges, type OrganisationType, type SchoolForm } from '../model/organisation.ts';

const FIELDS = ['name', 'organisationNumber', 'type', 'schoolForm', 'reportsViaFile', 'active', 'postalAddress'];

/**
 * Parses an operator's JSON body into typed changes. `creating` demands name and type.
 * The result is checked again as a whole by {@link checkOrganisation} once merged with the stored row.
 */
export function parseOrganisationChanges(body: unknown, creating: boolean): OrganisationChanges {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object', 'invalidSyntax');
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!FIELDS.includes(key) && !['id', 'created', 'modified'].includes(key)) throw invalid(`unknown attribute "${key}"`, 'invalidSyntax');
  }
  const out: OrganisationChanges = {};
  if ('name' in input) {
    if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 200) throw invalid('name must be a non-empty string of at most 200 characters', 'invalidValue');
    out.name = input.name.trim();
  }
  if ('organisationNumber' in input) {
    const raw = input.organisationNumber;
    if (raw === null) out.organisationNumber = null;
    else {
      const normalised = typeof raw === 'string' ? normaliseOrganisationNumber(raw) : undefined;
      if (!normalised) throw invalid('organisationNumber must be ten digits (NNNNNN-NNNN) with a valid check digit', 'invalidValue');
      out.organisationNumber = normalised;
    }
  }
  if ('type' in input) {
    if (!(ORGANISATION_TYPES as readonly unknown[]).includes(input.type)) throw invalid(`type must be one of ${ORGANISATION_TYPES.join(', ')}`, 'invalidValue');
    out.type = input.type as OrganisationType;
  }
  if ('schoolForm' in input) {
    if (input.schoolForm !== null && !(SCHOOL_FORMS as readonly unknown[]).includes(input.schoolForm)) throw invalid(`schoolForm must be one of ${SCHOOL_FORMS.join(', ')}`, 'invalidValue');
    out.schoolForm = input.schoolForm as SchoolForm | null;
  }
  for (const flag of ['reportsViaFile', 'active'] as const) {
    if (flag in input) {
      if (typeof input[flag] !== 'boolean') throw invalid(`${flag} must be true or false`, 'invalidValue');
      out[flag] = input[flag] as boolean;
    }
  }
  if ('postalAddress' in input) {
    if (input.postalAddress !== null && (typeof input.postalAddress !== 'string' || input.postalAddress.length > 500)) throw invalid('postalAddress must be a string of at most 500 characters', 'invalidValue');
    out.postalAddress = input.postalAddress === null ? null : (input.postalAddress as string).trim();
  }
  if (creating) {
    if (!out.name) throw invalid('name is required', 'invalidValue');
    if (!out.type) throw invalid('type is required (school or municipality)', 'invalidValue');
  }
  return out;
}

/** Cross-field rules on the organisation as it will be stored. */
export function checkOrganisation(org: Omit<Organisation, 'id' | 'created' | 'modified'>): void {
  if (org.type === 'school' && !org.schoolForm) throw invalid('a school needs a schoolForm', 'invalidValue');
  if (org.type === 'municipality' && org.schoolForm) throw invalid('a municipality has no schoolForm', 'invalidValue');
  if (org.type === 'municipality' && org.reportsViaFile) throw invalid('reportsViaFile applies to schools only', 'invalidValue');
}

export function organisationToJson(org: Organisation): Record<string, unknown> {
  return {
    id: org.id,
    name: org.name,
    organisationNumber: org.organisationNumber,
    type: org.type,
    schoolForm: org.schoolForm,
    reportsViaFile: org.reportsViaFile,
    active: org.active,
    postalAddress: org.postalAddress,
    created: org.created.toISOString(),
    modified: org.modified.toISOString(),
  };
}

/** The organisation an operator asks for, with every field given (the defaults of SPEC §3.1 filled in). */
export type NewOrganisation = Omit<Organisation, 'id' | 'created' | 'modified'>;

/** Fills in the defaults of a created organisation; `changes` come from parseOrganisationChanges(…, true). */
export function newOrganisation(changes: OrganisationChanges): NewOrganisation {
  return {
    name: changes.name!,
    type: changes.type!,
    organisationNumber: changes.organisationNumber ?? null,
    schoolForm: changes.schoolForm ?? null,
    reportsViaFile: changes.reportsViaFile ?? false,
    active: changes.active ?? true,
    postalAddress: changes.postalAddress ?? null,
  };
}

/** The audit trail's view of who acts. */
function actor(acting: Acting) {
  return { actorSubject: acting.principal.subject, actorRole: acting.principal.role, requestId: acting.requestId };
}

/**
 * Creates an organisation with one group per service the catalog offers to its type (SPEC §3.2),
 * audited, in one transaction.
 */
export async function createOrganisation(repos: Repositories, candidate: NewOrganisation, acting: Acting): Promise<Organisation> {
  checkOrganisation(candidate);
  return repos.transaction(async (tx) => {
    const created = await tx.operator.organisations.insert(candidate, acting.now);
    await tx.forOrg(created.id).groups.createForServices(await tx.operator.catalog.offeredTo(created.type), acting.now);
    await tx.forOrg(created.id).audit.append({
      ...actor(acting),
      action: 'organisation.create',
      resourceType: 'Organisation',
      resourceId: created.id,
      changes: Object.fromEntries(Object.entries(candidate).map(([k, v]) => [k, { after: v }])),
    }, acting.now);
    return created;
  });
}

/**
 * Changes an organisation. The type decides which groups exist, so it is fixed once the
 * organisation is created; deactivating it ends its users' sessions for good (SPEC §6.2).
 */
export async function updateOrganisation(repos: Repositories, id: string, changes: OrganisationChanges, acting: Acting): Promise<Organisation> {
  return repos.transaction(async (tx) => {
    const before = await tx.operator.organisations.find(id);
    if (!before) throw notFound(`no organisation ${id}`);
    const { id: _id, created: _c, modified: _m, ...current } = before;
    if (changes.type !== undefined && changes.type !== before.type) {
      throw invalid('type cannot be changed after creation', 'mutability');
    }
    checkOrganisation({ ...current, ...changes });
    const after = (await tx.operator.organisations.update(before.id, changes, acting.now))!;
    const tenant = tx.forOrg(before.id);
    if (before.active && !after.active) await tenant.sessions.endAll(acting.now);
    const diff: Record<string, { before: unknown; after: unknown }> = {};
    for (const key of Object.keys(changes) as (keyof typeof changes)[]) {
      if (before[key] !== after[key]) diff[key] = { before: before[key], after: after[key] };
    }
    await tenant.audit.append({ ...actor(acting), action: 'organisation.update', resourceType: 'Organisation', resourceId: before.id, changes: diff }, acting.now);
    return after;
  });
}

export async function getOrganisation(repos: Repositories, id: string): Promise<Organisation> {
  const org = await repos.operator.organisations.find(id);
  if (!org) throw notFound(`no organisation ${id}`);
  return org;
}

export function listOrganisations(repos: Repositories): Promise<Organisation[]> {
  return repos.operator.organisations.list();
}
