import { invalid, notFound } from '../model/outcomes.ts';
import { etagOf } from '../scim/render.ts';
import type { Group } from '../model/group.ts';
import { mayChangeCatalogGroup, mayChangeMembership, refused } from './policy.ts';
import { checkIfMatch } from './versioning.ts';
import { audit, inTransaction, storesFor, type TenantRequest } from './tenant-request.ts';
import { userLifecycle } from './user-lifecycle.ts';
import { prepareFirstGrants, type PreparedPasswords } from './credentials.ts';

/**
 * A change to a group's membership as a delta: start from `replaceWith` when given (or from no
 * members when `removeAll`), else from the current members; then add `add`, then take away
 * `remove`. PATCH, PUT and Bulk all come down to one of these.
 */
export interface MembershipDelta {
  replaceWith?: string[];
  removeAll: boolean;
  add: string[];
  remove: string[];
  /** A displayName the request asks for; the catalog owns names, so only the current one is accepted. */
  displayName?: string;
}

/** Audit entries list at most this many member ids; the counts are always complete. */
const AUDIT_ID_LIMIT = 1000;

export async function getGroup(req: TenantRequest, id: string): Promise<Group> {
  const row = await storesFor(req).groups.find(id);
  if (!row) throw notFound(`no Group ${id}`);
  return row;
}

/** The member ids of a group, a page at a time, so a 100,000-member group streams with constant memory. */
export function groupMemberIds(req: TenantRequest, groupId: string): AsyncGenerator<string[]> {
  return storesFor(req).groups.memberIds(groupId);
}

/**
 * Takes the locks of several groups up front, in one order, for a transaction that will change
 * them in whatever order its client chose (Bulk): two such transactions then queue instead of
 * deadlocking.
 */
export async function lockGroups(tx: TenantRequest, ids: string[]): Promise<void> {
  await storesFor(tx).groups.lockInOrder(ids);
}

/**
 * The users a change may make members: a plan's `add` and `replaceWith` are never both set
 * (GroupPatchPlan); either may repeat an id, which every statement reads as a set. The same array
 * goes to every statement, so its id list is written out once.
 */
function incomingMembers(delta: MembershipDelta): string[] {
  return delta.replaceWith ?? delta.add;
}

export function touchesMembers(delta: MembershipDelta): boolean {
  return delta.replaceWith !== undefined || delta.removeAll || delta.add.length > 0 || delta.remove.length > 0;
}

/**
 * First grants' one-time passwords, hashed before the group is locked (see prepareFirstGrants),
 * and only for a change the rules would allow: a refused request costs no hashing.
 */
async function passwordsForGrants(req: TenantRequest, id: string, delta: MembershipDelta, options: MembershipOptions): Promise<PreparedPasswords> {
  const incoming = incomingMembers(delta);
  if (incoming.length === 0) return new Map();
  const group = await storesFor(req).groups.find(id);
  if (!group || !mayChangeMembership(req.principal, { grantedBy: group.grantedBy, displayName: group.displayName }, req.org, options.viaAdminApi).allowed) return new Map();
  return prepareFirstGrants(req, incoming);
}

/** `viaAdminApi`: the operator API's administrator grant or revoke, which carries a declaration (SPEC §3.5). */
export interface MembershipOptions {
  viaAdminApi?: boolean;
}

export async function changeMembership(req: TenantRequest, id: string, delta: MembershipDelta, ifMatch?: string, options: MembershipOptions = {}): Promise<Group> {
  const prepared = await passwordsForGrants(req, id, delta, options);
  return inTransaction(req, async (tx) => {
    const { groups, users } = storesFor(tx);
    const group = await groups.lock(id);
    if (!group) throw notFound(`no Group ${id}`);
    checkIfMatch(ifMatch, etagOf(group.version));
    // SPEC §4: the catalog owns group names; a rename is refused like creating or deleting a group.
    if (delta.displayName !== undefined && delta.displayName !== group.displayName) throw refused(mayChangeCatalogGroup())!;
    if (!touchesMembers(delta)) return group;
    const refusal = refused(mayChangeMembership(tx.principal, { grantedBy: group.grantedBy, displayName: group.displayName }, tx.org, options.viaAdminApi));
    if (refusal) throw refusal;

    const incoming = incomingMembers(delta);
    const unknown = await users.firstUnknown(incoming);
    if (unknown !== undefined) {
      // SPEC §4: a member of another organisation is reported exactly like one that does not exist.
      throw invalid(`member value "${unknown}" is not a User of this organisation`, 'invalidValue');
    }

    // concat, not push(...ids): spreading some 125,000 arguments overflows the stack.
    // Each of these touches the users it adds or removes (their version, purge's ungrouped_since).
    let removed: string[] = [];
    if (delta.replaceWith !== undefined) removed = await groups.removeMembersExcept(group.id, delta.replaceWith, tx.now);
    else if (delta.removeAll) removed = await groups.removeAllMembers(group.id, tx.now);
    const added = await groups.addMembers(group.id, incoming, tx.now);
    removed = removed.concat(await groups.removeMembers(group.id, delta.remove, tx.now));

    if (added.length === 0 && removed.length === 0) return group;
    await groups.bumpVersion(group.id, tx.now);
    await userLifecycle.afterMembershipChange(tx, group, added, removed, prepared);
    await audit(tx, {
      action: 'group.members',
      resourceType: 'Group',
      resourceId: group.id,
      changes: {
        members: {
          added: added.slice(0, AUDIT_ID_LIMIT),
          removed: removed.slice(0, AUDIT_ID_LIMIT),
          addedCount: added.length,
          removedCount: removed.length,
        },
      } as never,
    });
    return (await groups.find(group.id))!;
  });
}
