import { schemaRegistry } from '../scim/schema-registry.ts';
import { canonicaliseResource, type CanonicalResource } from '../scim/resource-input.ts';
import { etagOf, renderUser } from '../scim/render.ts';
import { isClientFailure, type ClientFailure } from './failures.ts';
import { parsePatchRequest } from '../scim/patch/parse.ts';
import { applyPatch } from '../scim/patch/apply.ts';
import { planGroupPatch } from '../scim/patch/group-members.ts';
import type { Group } from '../model/group.ts';
import { createUser, createUsers, deleteUser, modifyUser, replaceUser, type StoredUser } from './users-service.ts';
import { changeMembership } from './groups-service.ts';
import { mayChangeCatalogGroup, refused } from './policy.ts';
import type { TenantRequest } from './tenant-request.ts';

/**
 * The writes of /Users and /Groups without HTTP: the single-request routes and Bulk both call
 * these, so a Bulk operation runs under exactly the rules of the same request sent alone.
 */
export type WriteResult =
  | { kind: 'user'; status: number; user: StoredUser; etag: string; location: string }
  | { kind: 'group'; status: number; group: Group; etag: string; location: string }
  | { kind: 'deleted'; status: 204 };

export interface WriteContext {
  req: TenantRequest;
  baseUrl: string;
  ifMatch?: string;
}

const userResult = (c: WriteContext, status: number, user: StoredUser): WriteResult => ({
  kind: 'user',
  status,
  user,
  etag: etagOf(user.row.version),
  location: `${c.baseUrl}/Users/${user.row.id}`,
});

const groupResult = (c: WriteContext, group: Group): WriteResult => ({
  kind: 'group',
  status: 200,
  group,
  etag: etagOf(group.version),
  location: `${c.baseUrl}/Groups/${group.id}`,
});

export const userActions = {
  async create(c: WriteContext, body: unknown) {
    return userResult(c, 201, await createUser(c.req, canonicaliseResource(schemaRegistry(), 'User', body)));
  },
  /** Many POST /Users at once (Bulk): each body's outcome in order, a refused one as its error. */
  async createMany(c: WriteContext, bodies: unknown[]): Promise<(WriteResult | ClientFailure)[]> {
    const resources = bodies.map((body) => {
      try {
        return canonicaliseResource(schemaRegistry(), 'User', body);
      } catch (err) {
        if (isClientFailure(err)) return err;
        throw err;
      }
    });
    const valid = resources.filter((r): r is CanonicalResource => !isClientFailure(r));
    const created = await createUsers(c.req, valid);
    let next = 0;
    return resources.map((r) => {
      if (isClientFailure(r)) return r;
      const outcome = created[next++];
      return isClientFailure(outcome) ? outcome : userResult(c, 201, outcome);
    });
  },
  async replace(c: WriteContext, id: string, body: unknown) {
    return userResult(c, 200, await replaceUser(c.req, id, canonicaliseResource(schemaRegistry(), 'User', body), c.ifMatch));
  },
  async patch(c: WriteContext, id: string, body: unknown) {
    const ops = parsePatchRequest('User', body, id);
    return userResult(c, 200, await modifyUser(c.req, id, (current) => applyPatch('User', current, ops), c.ifMatch));
  },
  async delete(c: WriteContext, id: string): Promise<WriteResult> {
    await deleteUser(c.req, id, c.ifMatch);
    return { kind: 'deleted', status: 204 };
  },
};

export const groupActions = {
  async create(): Promise<WriteResult> {
    throw refused(mayChangeCatalogGroup())!;
  },
  async replace(c: WriteContext, id: string, body: unknown) {
    const resource = canonicaliseResource(schemaRegistry(), 'Group', body);
    const members = ((resource.members as { value?: unknown }[] | undefined) ?? []).map((m) => m.value).filter((v): v is string => typeof v === 'string');
    const displayName = typeof resource.displayName === 'string' ? resource.displayName : undefined;
    return groupResult(c, await changeMembership(c.req, id, { replaceWith: members, removeAll: false, add: [], remove: [], displayName }, c.ifMatch));
  },
  async patch(c: WriteContext, id: string, body: unknown) {
    const ops = parsePatchRequest('Group', body, id);
    return groupResult(c, await changeMembership(c.req, id, planGroupPatch(ops), c.ifMatch));
  },
  async delete(): Promise<WriteResult> {
    throw refused(mayChangeCatalogGroup())!;
  },
};

/** The full User resource of a write result, for responses. */
export function userResource(c: WriteContext, result: Extract<WriteResult, { kind: 'user' }>) {
  return renderUser(result.user.row, result.user.memberships, c.req.org, c.baseUrl);
}
