import { badRequest } from '../scim/scim-error.ts';
import { normaliseOrganisationNumber } from './organisation-number.ts';

export const ORGANISATION_TYPES = ['school', 'municipality'] as const;
export type OrganisationType = (typeof ORGANISATION_TYPES)[number];

export const SCHOOL_FORMS = [
  'gymnasieskola',
  'konst-och-kulturskola',
  'komvux',
  'folkhogskola',
  'hogskola',
  'yrkeshogskola',
  'ovrig',
] as const;
export type SchoolForm = (typeof SCHOOL_FORMS)[number];

export interface Organisation {
  id: string;
  name: string;
  organisationNumber: string | null;
  type: OrganisationType;
  schoolForm: SchoolForm | null;
  reportsViaFile: boolean;
  active: boolean;
  postalAddress: string | null;
  created: Date;
  modified: Date;
}

/** The fields an operator may set; every one optional on update. */
export interface OrganisationChanges {
  name?: string;
  organisationNumber?: string | null;
  type?: OrganisationType;
  schoolForm?: SchoolForm | null;
  reportsViaFile?: boolean;
  active?: boolean;
  postalAddress?: string | null;
}

const FIELDS = ['name', 'organisationNumber', 'type', 'schoolForm', 'reportsViaFile', 'active', 'postalAddress'];

/**
 * Parses an operator's JSON body into typed changes. `creating` demands name and type.
 * The result is checked again as a whole by {@link checkOrganisation} once merged with the stored row.
 */
export function parseOrganisationChanges(body: unknown, creating: boolean): OrganisationChanges {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be a JSON object', 'invalidSyntax');
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!FIELDS.includes(key) && !['id', 'created', 'modified'].includes(key)) throw badRequest(`unknown attribute "${key}"`, 'invalidSyntax');
  }
  const out: OrganisationChanges = {};
  if ('name' in input) {
    if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 200) throw badRequest('name must be a non-empty string of at most 200 characters', 'invalidValue');
    out.name = input.name.trim();
  }
  if ('organisationNumber' in input) {
    const raw = input.organisationNumber;
    if (raw === null) out.organisationNumber = null;
    else {
      const normalised = typeof raw === 'string' ? normaliseOrganisationNumber(raw) : undefined;
      if (!normalised) throw badRequest('organisationNumber must be ten digits (NNNNNN-NNNN) with a valid check digit', 'invalidValue');
      out.organisationNumber = normalised;
    }
  }
  if ('type' in input) {
    if (!(ORGANISATION_TYPES as readonly unknown[]).includes(input.type)) throw badRequest(`type must be one of ${ORGANISATION_TYPES.join(', ')}`, 'invalidValue');
    out.type = input.type as OrganisationType;
  }
  if ('schoolForm' in input) {
    if (input.schoolForm !== null && !(SCHOOL_FORMS as readonly unknown[]).includes(input.schoolForm)) throw badRequest(`schoolForm must be one of ${SCHOOL_FORMS.join(', ')}`, 'invalidValue');
    out.schoolForm = input.schoolForm as SchoolForm | null;
  }
  for (const flag of ['reportsViaFile', 'active'] as const) {
    if (flag in input) {
      if (typeof input[flag] !== 'boolean') throw badRequest(`${flag} must be true or false`, 'invalidValue');
      out[flag] = input[flag] as boolean;
    }
  }
  if ('postalAddress' in input) {
    if (input.postalAddress !== null && (typeof input.postalAddress !== 'string' || input.postalAddress.length > 500)) throw badRequest('postalAddress must be a string of at most 500 characters', 'invalidValue');
    out.postalAddress = input.postalAddress === null ? null : (input.postalAddress as string).trim();
  }
  if (creating) {
    if (!out.name) throw badRequest('name is required', 'invalidValue');
    if (!out.type) throw badRequest('type is required (school or municipality)', 'invalidValue');
  }
  return out;
}

/** Cross-field rules on the organisation as it will be stored. */
export function checkOrganisation(org: Omit<Organisation, 'id' | 'created' | 'modified'>): void {
  if (org.type === 'school' && !org.schoolForm) throw badRequest('a school needs a schoolForm', 'invalidValue');
  if (org.type === 'municipality' && org.schoolForm) throw badRequest('a municipality has no schoolForm', 'invalidValue');
  if (org.type === 'municipality' && org.reportsViaFile) throw badRequest('reportsViaFile applies to schools only', 'invalidValue');
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
