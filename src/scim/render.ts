import type { Organisation } from '../domain/organisations.ts';
import { isOperatorOnly } from '../model/catalog.ts';
import type { GroupRow } from '../store/groups-store.ts';
import type { UserRow } from '../store/users-store.ts';
import { CORE_GROUP, CORE_USER, ENTERPRISE_USER, IDM_GROUP, IDM_USER } from './schema-registry.ts';

export interface Membership {
  group_id: string;
  display_name: string;
  service_code: string;
}

/** RFC 7644 §3.14: a weak entity tag from the row version. */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** The full User resource: stored attributes, derived `groups`, our extension and meta. */
export function renderUser(row: UserRow, memberships: Membership[], org: Organisation, baseUrl: string): Record<string, unknown> {
  const { [ENTERPRISE_USER]: enterprise, ...core } = row.data as Record<string, unknown>;
  const resource: Record<string, unknown> = {
    schemas: enterprise ? [CORE_USER, ENTERPRISE_USER, IDM_USER] : [CORE_USER, IDM_USER],
    id: row.id,
  };
  if (row.external_id !== null) resource.externalId = row.external_id;
  resource.userName = row.user_name;
  Object.assign(resource, core);
  resource.active = row.active;
  if (memberships.length) {
    resource.groups = memberships.map((m) => ({
      value: m.group_id,
      $ref: `${baseUrl}/Groups/${m.group_id}`,
      display: m.display_name,
      type: 'direct',
    }));
  }
  if (enterprise) resource[ENTERPRISE_USER] = enterprise;
  const extension: Record<string, unknown> = {
    organisationId: org.id,
    organisationName: org.name,
    organisationType: org.type,
  };
  if (org.schoolForm) extension.schoolForm = org.schoolForm;
  extension.services = memberships.map((m) => m.service_code).sort();
  extension.credentialStatus = row.credential_status;
  resource[IDM_USER] = extension;
  resource.meta = {
    resourceType: 'User',
    created: iso(row.created_at),
    lastModified: iso(row.modified_at),
    location: `${baseUrl}/Users/${row.id}`,
    version: etagOf(row.version),
  };
  return resource;
}

/** A Group resource without `members`; those are added (or streamed) by the caller. */
export function renderGroup(row: GroupRow, org: Organisation, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [CORE_GROUP, IDM_GROUP],
    id: row.id,
    displayName: row.display_name,
    [IDM_GROUP]: {
      serviceCode: row.service_code,
      formOnly: isOperatorOnly(row.granted_by, org),
      description: row.description,
    },
    meta: {
      resourceType: 'Group',
      created: iso(row.created_at),
      lastModified: iso(row.modified_at),
      location: `${baseUrl}/Groups/${row.id}`,
      version: etagOf(row.version),
    },
  };
}

export function memberOf(userId: string, baseUrl: string): Record<string, unknown> {
  return { value: userId, $ref: `${baseUrl}/Users/${userId}`, type: 'User' };
}
