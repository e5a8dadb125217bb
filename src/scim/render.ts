import type { Organisation } from '../model/organisation.ts';
import { isOperatorOnly } from '../model/catalog.ts';
import type { Group } from '../model/group.ts';
import type { Membership, User } from '../model/user.ts';
import { CORE_GROUP, CORE_USER, ENTERPRISE_USER, IDM_GROUP, IDM_USER } from './schema-registry.ts';

/** RFC 7644 §3.14: a weak entity tag from the row version. */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

const iso = (d: Date) => d.toISOString();

/** The full User resource: stored attributes, derived `groups`, our extension and meta. */
export function renderUser(row: User, memberships: Pick<Membership, 'groupId' | 'displayName' | 'serviceCode'>[], org: Organisation, baseUrl: string): Record<string, unknown> {
  const { [ENTERPRISE_USER]: enterprise, ...core } = row.data as Record<string, unknown>;
  const resource: Record<string, unknown> = {
    schemas: enterprise ? [CORE_USER, ENTERPRISE_USER, IDM_USER] : [CORE_USER, IDM_USER],
    id: row.id,
  };
  if (row.externalId !== null) resource.externalId = row.externalId;
  resource.userName = row.userName;
  Object.assign(resource, core);
  resource.active = row.active;
  if (memberships.length) {
    resource.groups = memberships.map((m) => ({
      value: m.groupId,
      $ref: `${baseUrl}/Groups/${m.groupId}`,
      display: m.displayName,
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
  extension.services = memberships.map((m) => m.serviceCode).sort();
  extension.credentialStatus = row.credentialStatus;
  resource[IDM_USER] = extension;
  resource.meta = {
    resourceType: 'User',
    created: iso(row.created),
    lastModified: iso(row.modified),
    location: `${baseUrl}/Users/${row.id}`,
    version: etagOf(row.version),
  };
  return resource;
}

/** A Group resource without `members`; those are added (or streamed) by the caller. */
export function renderGroup(row: Group, org: Organisation, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [CORE_GROUP, IDM_GROUP],
    id: row.id,
    displayName: row.displayName,
    [IDM_GROUP]: {
      serviceCode: row.serviceCode,
      formOnly: isOperatorOnly(row.grantedBy, org),
      description: row.description,
    },
    meta: {
      resourceType: 'Group',
      created: iso(row.created),
      lastModified: iso(row.modified),
      location: `${baseUrl}/Groups/${row.id}`,
      version: etagOf(row.version),
    },
  };
}

export function memberOf(userId: string, baseUrl: string): Record<string, unknown> {
  return { value: userId, $ref: `${baseUrl}/Users/${userId}`, type: 'User' };
}
