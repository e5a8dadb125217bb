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
